"""Glyph rasters from real font files: each character on a fixed em box and baseline.

The em box is ``resolution`` pixels on a side, one em high: the baseline sits
:data:`BASELINE` of the way down (0.78 em above it, 0.22 em below, room for accents of
capitals is not needed), and each glyph's ink is centred horizontally. A glyph the font
lacks (not in its cmap, mapped to ``.notdef``, sharing one glyph with an earlier character
as a fallback, empty, or wider/taller than the box) is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BASELINE = 50 / 64  # baseline row as a fraction of the box height, from the top
FONT_SUFFIXES = (".ttf", ".otf")


def list_fonts(folder: str | Path) -> list[Path]:
    """Every .ttf/.otf file under ``folder`` (recursively, sorted; symbolic links followed)."""
    import os

    found = []
    for where, _, files in os.walk(folder, followlinks=True):
        found += [Path(where) / name for name in files if Path(name).suffix.lower() in FONT_SUFFIXES]
    return sorted(p for p in found if p.is_file())


def family_of(path: str | Path) -> str:
    """The typographic family a font file belongs to (name ID 16, else 1): the unit of the data split."""
    from fontTools.ttLib import TTFont

    names = TTFont(str(path), lazy=True, fontNumber=0)["name"]
    return str(names.getDebugName(16) or names.getDebugName(1) or Path(path).stem)


def baseline_row(resolution: int) -> int:
    """The baseline's pixel row in a box of ``resolution`` pixels."""
    return round(BASELINE * resolution)


def render_font(path: str | Path, chars: str, resolution: int) -> dict[str, Any]:
    """``{char: uint8 array resolution×resolution}`` (ink 255 on 0) for every char the font really has."""
    import numpy as np
    from fontTools.ttLib import TTFont
    from PIL import Image, ImageDraw, ImageFont

    cmap = TTFont(str(path), lazy=True, fontNumber=0).getBestCmap() or {}
    font = ImageFont.truetype(str(path), size=resolution)
    base = baseline_row(resolution)
    seen: set[str] = set()
    out: dict[str, Any] = {}
    for char in chars:
        glyph = cmap.get(ord(char))
        if glyph is None or glyph == ".notdef" or glyph in seen:
            continue
        seen.add(glyph)
        left, top, right, bottom = font.getbbox(char, anchor="ls")
        if right <= left or bottom <= top:
            continue
        if right - left > resolution or base + top < -1 or base + bottom > resolution + 1:
            continue  # would be clipped by the box
        image = Image.new("L", (resolution, resolution), 0)
        x = (resolution - (right - left)) / 2 - left
        ImageDraw.Draw(image).text((round(x), base), char, fill=255, font=font, anchor="ls")
        array = np.asarray(image)
        if array.max() < 128:
            continue
        out[char] = array
    return out
