"""Render any font file with Pillow: a text preview (``artgan font render``) and single glyphs
placed on the em box (the round-trip check of a written font against its rasters)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from artgan.errors import ArtganError
from artgan_font.render import baseline_row


def load_font(path: str | Path, size: int) -> Any:
    """``path`` as a Pillow font of ``size`` pixels per em, or an ArtganError naming the problem."""
    from PIL import ImageFont

    if not Path(path).is_file():
        raise ArtganError(f"no font file {str(path)!r}; give a .otf or .ttf file")
    try:
        return ImageFont.truetype(str(path), size=size)
    except OSError as exc:
        raise ArtganError(f"{path}: not a font Pillow/FreeType can read ({exc}); give a .otf or .ttf file") from exc


def render_text(path: str | Path, text: str, *, size: int = 72, margin: int | None = None) -> Any:
    """``text`` (lines split at ``\\n``) set in the font at ``size`` px per em, black on white, as a PIL image."""
    from PIL import Image, ImageDraw

    if not text.strip():
        raise ArtganError("give some text to set, e.g. \"Sphinx of black quartz\"")
    font = load_font(path, size)
    margin = size // 3 if margin is None else margin
    lines = text.split("\\n") if "\\n" in text else text.splitlines() or [text]
    ascent, descent = font.getmetrics()
    line_height = round(1.2 * size)
    width = max(int(font.getlength(line)) for line in lines) + 2 * margin
    height = line_height * (len(lines) - 1) + ascent + descent + 2 * margin
    image = Image.new("L", (max(width, 1), height), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((margin, margin + ascent + index * line_height), line, fill=0, font=font, anchor="ls")
    return image


def render_glyph(font: Any, char: str, size: int, origin: float) -> Any:
    """One character as ink coverage (``size``×``size`` float in [0, 1]) with its origin at x = ``origin`` px on the box's baseline."""
    import numpy as np
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).text((origin, baseline_row(size)), char, fill=255, font=font, anchor="ls")
    return np.asarray(image, dtype=np.float32) / 255.0


@functools.lru_cache(maxsize=8)
def _read(path: str, mtime: int) -> Any:
    """A font file parsed once per version (``mtime`` keys the cache)."""
    from fontTools.ttLib import TTFont

    return TTFont(path)


def outline_coverage(path: str | Path, char: str, size: int, origin: float, supersample: int = 4,
                     centres: bool = False) -> Any:
    """One character's outline from the font file, filled exactly (no hinting) as ``size``×``size``
    coverage in [0, 1], origin at x = ``origin`` px on the box's baseline: what the vectors really say.
    With ``centres`` each pixel is 1 or 0 by whether its centre is inside (how a raster samples a shape)."""
    import numpy as np
    from fontTools.pens.basePen import BasePen
    from PIL import Image, ImageChops, ImageDraw

    font = _read(str(path), Path(path).stat().st_mtime_ns)
    glyph_name = (font.getBestCmap() or {}).get(ord(char))
    big = size * supersample
    if glyph_name is None:
        return np.zeros((size, size), dtype=np.float32)
    scale = big / font["head"].unitsPerEm
    base = baseline_row(size) * supersample

    class Flatten(BasePen):
        """Curves as polylines in supersampled pixels."""

        def __init__(self) -> None:
            super().__init__(None)
            self.polygons: list[list[tuple[float, float]]] = []

        def _point(self, pt: tuple[float, float]) -> tuple[float, float]:
            return origin * supersample + pt[0] * scale, base - pt[1] * scale

        def _moveTo(self, pt: Any) -> None:
            self.polygons.append([self._point(pt)])

        def _lineTo(self, pt: Any) -> None:
            self.polygons[-1].append(self._point(pt))

        def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
            p0 = self._getCurrentPoint()
            for t in np.linspace(0, 1, 17)[1:]:
                u = 1 - t
                x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
                y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
                self.polygons[-1].append(self._point((x, y)))

        def _qCurveToOne(self, p1: Any, p2: Any) -> None:
            p0 = self._getCurrentPoint()
            for t in np.linspace(0, 1, 17)[1:]:
                u = 1 - t
                self.polygons[-1].append(self._point((u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                                                      u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1])))

    pen = Flatten()
    font.getGlyphSet()[glyph_name].draw(pen)
    filled = Image.new("1", (big, big), 0)
    for polygon in pen.polygons:  # even-odd fill: each contour toggles what it covers
        if len(polygon) >= 3:
            mask = Image.new("1", (big, big), 0)
            ImageDraw.Draw(mask).polygon(polygon, fill=1)
            filled = ImageChops.logical_xor(filled, mask)
    if centres:
        return np.asarray(filled, dtype=np.float32)[supersample // 2 :: supersample, supersample // 2 :: supersample]
    return np.asarray(filled.convert("L").resize((size, size), Image.Resampling.BOX), dtype=np.float32) / 255.0
