"""Tiny synthetic sprite classes for tests and the contract kit: discs and squares with alpha."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_sprite_classes(root: Path, size: int, count: int = 3) -> Path:
    """``root/disc/*.png`` and ``root/square/*.png``: ``count`` RGBA sprites each, ``size``²
    (plus one twice as large per class, which the dataset shrinks), on transparency."""
    rng = np.random.default_rng(0)
    for name in ("disc", "square"):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count + 1):
            side = size * (2 if i == count else 1)
            ys, xs = np.mgrid[0:side, 0:side] / side - 0.5
            r = 0.2 + 0.25 * rng.random()
            inside = (xs**2 + ys**2 < r**2) if name == "disc" else (np.abs(xs) < r) & (np.abs(ys) < r)
            pixels = np.zeros((side, side, 4), dtype=np.uint8)
            pixels[..., :3] = rng.integers(0, 256, 3)
            pixels[..., 3] = inside * 255
            Image.fromarray(pixels, "RGBA").save(folder / f"{i}.png")
    return root
