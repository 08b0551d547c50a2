"""Tiny synthetic fonts for tests and the contract kit: real TTF files made with fontTools,
so nothing depends on fonts installed on the machine.

Each character gets a distinct blocky shape (bars chosen by the bits of its index) and
each test font its own stroke weight and slant, so a model has characters and styles to tell apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artgan_font.render import BASELINE

TEST_SIZE = 64  # raster side the synthetic glyphs are drawn at before tracing


def synthetic_glyph(index: int, weight: float, slant: float, size: int = TEST_SIZE) -> Any:
    """A blocky glyph raster (size×size coverage) for character ``index`` in a style."""
    import numpy as np

    raster = np.zeros((size, size), dtype=np.float32)
    base = int(BASELINE * size)
    top = base - int(0.7 * size) if index % 3 else base - int(0.5 * size)
    stroke = max(2, int(weight * size))
    left, right = int(0.3 * size), int(0.7 * size)
    raster[top:base, left : left + stroke] = 1  # a stem
    for bit in range(5):  # bars by the bits of the index
        if (index + 1) >> bit & 1:
            y = top + bit * (base - top - stroke) // 4
            raster[y : y + stroke, left:right] = 1
    if slant:
        shifted = np.zeros_like(raster)
        for row in range(size):
            shift = int(round(slant * (base - row)))
            shifted[row] = np.roll(raster[row], shift)
        raster = shifted
    return raster


def write_test_fonts(folder: str | Path, chars: str, count: int = 2) -> Path:
    """Write ``count`` small synthetic TTF fonts (distinct families) into ``folder``; returns it."""
    import torch

    from artgan_font.fontfile import build_font
    from artgan_font.outputs import GlyphSet

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for font in range(count):
        weight, slant = 0.06 + 0.04 * font, 0.15 * (font % 2)
        glyphs = {c: torch.from_numpy(synthetic_glyph(i, weight, slant)) for i, c in enumerate(chars)}
        data = build_font(GlyphSet(glyphs, name=f"Artgan Test {chr(65 + font)}"), "ttf").data
        (root / f"test{font}.ttf").write_bytes(data)
    return root
