"""Build an installable OTF (CFF) or TTF (TrueType) font from a :class:`GlyphSet`.

Coordinates: 1000 units per em; a raster of ``S`` pixels spans one em, so a pixel is
``1000/S`` units and the baseline row (:func:`artgan_font.render.baseline_row`) is y = 0.

- **Outlines**: each glyph traced by :mod:`artgan_font.trace`; contours are oriented per
  format by their nesting depth (an outer contour encloses an even number of others):
  clockwise outers for TrueType, counter-clockwise outers for CFF (PostScript), holes the
  other way.
- **Spacing** (:func:`side_bearings`): after the area method of type designers (as in
  HT Letterspacer): in the band from the baseline to the x-height (lowercase) or the cap
  height (the rest), the white already inside the glyph's bounds near each side (depth
  clipped to ``0.15 em``) is measured, and the side bearing tops it up to the same amount
  of white per side, at least ``0.01 em``: straight stems get the most, rounds less,
  diagonals least, which keeps text evenly grey.
- **Metrics**: ascender/descender from the em box (0.78/−0.22 em), x-height and cap
  height measured from ``x``/``H`` (or their siblings), the same numbers in ``hhea`` and
  ``OS/2`` (typo with ``USE_TYPO_METRICS``, win from the real bounds); TrueType ``lsb = xMin``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from artgan.errors import ArtganError
from artgan_font.render import BASELINE
from artgan_font.trace import Contour, contains, signed_area, trace

UPM = 1000
ASCENDER = round(BASELINE * UPM)  # 781: the em box above the baseline
DESCENDER = ASCENDER - UPM  # -219
LINE_GAP = 200  # line spacing 1.2 em
WHITE_DEPTH = 0.15  # em: how deep into the glyph's bounds the spacing rule looks for white
WHITE_TARGET = 0.085  # em: white per side (inside + side bearing), averaged over the band
MIN_BEARING = 0.01  # em
X_CHARS, CAP_CHARS = "xzvwuy", "HIETLF"


@dataclass
class BuiltFont:
    """A compiled font and where each glyph's origin sits in its raster (for round-trip checks)."""

    data: bytes
    origins: dict[str, float] = field(default_factory=dict)  # char → origin x in raster pixels
    advances: dict[str, int] = field(default_factory=dict)  # char → advance width in units


def _glyph_name(char: str) -> str:
    from fontTools.agl import UV2AGL

    return UV2AGL.get(ord(char), f"uni{ord(char):04X}")


def _band_rows(char: str, size: int, metrics: dict[str, float]) -> tuple[int, int]:
    """Raster rows of the spacing band of ``char``: baseline up to x-height (lowercase) or cap height."""
    base = BASELINE * size
    height = metrics["x_height"] if char.islower() else metrics["cap_height"]
    top = base - height / UPM * size
    return max(0, int(top)), min(size, int(round(base)))


def side_bearings(raster: Any, char: str, metrics: dict[str, float]) -> tuple[float, float]:
    """Left and right side bearings (in em) of a glyph raster by the area rule (see the module note)."""
    import numpy as np

    size = raster.shape[0]
    ink = raster >= 0.5
    cols = np.nonzero(ink.any(axis=0))[0]
    if len(cols) == 0:
        return MIN_BEARING, MIN_BEARING
    left, right = cols[0], cols[-1]
    top, bottom = _band_rows(char, size, metrics)
    band = ink[top:bottom, left : right + 1]
    rows = band[band.any(axis=1)]
    if len(rows) == 0:  # punctuation above or below the band: its whole height
        rows = ink[:, left : right + 1][ink[:, left : right + 1].any(axis=1)]
    depth = WHITE_DEPTH * size
    from_left = np.minimum(rows.argmax(axis=1), depth).mean() / size
    from_right = np.minimum(rows[:, ::-1].argmax(axis=1), depth).mean() / size
    return max(MIN_BEARING, WHITE_TARGET - from_left), max(MIN_BEARING, WHITE_TARGET - from_right)


def measure(glyphs: dict[str, Any]) -> dict[str, float]:
    """x-height and cap height in units, from the tops of flat-topped letters the set has."""
    import numpy as np

    def top(chars: str, fallback: float) -> float:
        heights = []
        for char in chars:
            if char in glyphs:
                raster = glyphs[char]
                rows = np.nonzero((raster >= 0.5).any(axis=1))[0]
                if len(rows):
                    heights.append((BASELINE * raster.shape[0] - rows[0]) / raster.shape[0] * UPM)
        return float(np.median(heights)) if heights else fallback

    return {"x_height": top(X_CHARS, 0.5 * UPM), "cap_height": top(CAP_CHARS, 0.7 * UPM)}


def _oriented(contours: list[Contour], outer_clockwise: bool) -> list[Contour]:
    """Contours in font space (y up) turned so outers go ``outer_clockwise`` and holes the other way."""
    import numpy as np

    polygons = [np.array([(x, y) for x, y, _ in c]) for c in contours]
    out = []
    for i, contour in enumerate(contours):
        x, y = polygons[i][0]
        depth = sum(contains(polygons[j], x, y) for j in range(len(contours)) if j != i)
        clockwise = signed_area(polygons[i]) < 0
        want = outer_clockwise if depth % 2 == 0 else not outer_clockwise
        out.append(contour if clockwise == want else contour[::-1])
    return out


def _draw(pen: Any, contours: list[Contour]) -> None:
    """Draw flagged contours (implied on-curve points between two off-curves) into a fontTools pen."""
    for contour in contours:
        corners = [i for i, (_, _, on) in enumerate(contour) if on]
        if not corners:
            pen.qCurveTo(*[(x, y) for x, y, _ in contour], None)
            pen.closePath()
            continue
        start = corners[0]
        ring = contour[start:] + contour[:start]
        pen.moveTo(ring[0][:2])
        controls: list[tuple[float, float]] = []
        for x, y, on in ring[1:] + ring[:1]:
            if not on:
                controls.append((x, y))
            elif controls:
                pen.qCurveTo(*controls, (x, y))
                controls = []
            else:
                pen.lineTo((x, y))
        pen.closePath()


def _to_font_space(contours: list[Contour], size: int, origin: float) -> list[Contour]:
    """Raster pixels (y down) → integer font units (y up) with the origin at ``origin`` px."""
    scale = UPM / size
    base = BASELINE * size
    out = []
    for contour in contours:
        points: Contour = []
        for x, y, on in contour:
            point = (round((x - origin) * scale), round((base - y) * scale), on)
            if not points or point[:2] != points[-1][:2]:
                points.append(point)
        if len(points) > 1 and points[0][:2] == points[-1][:2]:
            points.pop()
        if len(points) >= 3:
            out.append(points)
    return out


def postscript_name(name: str) -> str:
    """A PostScript name: printable ASCII without spaces or ``[](){}<>/%``, at most 63 characters."""
    cleaned = re.sub(r"[^A-Za-z0-9\-]", "", name.replace(" ", "")) or "ArtganFont"
    return f"{cleaned[:54]}-Regular"


def build_font(glyph_set: Any, fmt: str, *, description: str = "") -> BuiltFont:
    """Compile ``glyph_set`` as ``fmt`` (``"otf"`` CFF or ``"ttf"`` TrueType) bytes."""
    import io

    import numpy as np
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.boundsPen import BoundsPen, ControlBoundsPen
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    if fmt not in ("otf", "ttf"):
        raise ValueError(f"unknown font format {fmt!r}")
    truetype = fmt == "ttf"
    rasters = {c: np.asarray(g.detach().cpu().numpy() if hasattr(g, "detach") else g, dtype=np.float32)
               for c, g in glyph_set.glyphs.items()}
    if not rasters:
        raise ArtganError("the glyph set is empty: there is nothing to write as a font")
    metrics = measure(rasters)
    order, cmap, metrics_table, drawings = [".notdef", "space"], {32: "space"}, {}, {}
    built = BuiltFont(b"")
    for char, raster in rasters.items():
        size = raster.shape[0]
        contours = trace(raster, upsample=max(1, min(4, 256 // size)), tolerance=0.12 * max(1.0, size / 64))
        if not contours:
            continue  # an empty glyph is left out (the cmap falls back to .notdef)
        xs = [x for c in contours for x, _, _ in c]
        left, right = side_bearings(raster, char, metrics)
        origin = float(round(min(xs) - left * size))  # an integer pixel, so a renderer at `size` px lines up
        font_contours = _oriented(_to_font_space(contours, size, origin), outer_clockwise=truetype)
        if not font_contours:
            continue
        name = _glyph_name(char)
        bounds_pen = ControlBoundsPen(None) if truetype else BoundsPen(None)
        _draw(bounds_pen, font_contours)
        x_min, _, x_max, _ = bounds_pen.bounds
        advance = int(round(x_max + right * UPM))
        order.append(name)
        cmap[ord(char)] = name
        metrics_table[name] = (advance, int(x_min))
        drawings[name] = font_contours
        built.origins[char], built.advances[char] = origin, advance
    if len(order) == 2:
        raise ArtganError("no glyph had any ink to trace; the rasters are blank")
    space = int(round(0.28 * UPM))
    notdef = [[(50, 0, True), (50, 700, True), (450, 700, True), (450, 0, True)],
              [(100, 50, True), (400, 50, True), (400, 650, True), (100, 650, True)]]
    drawings[".notdef"] = _oriented(notdef, outer_clockwise=truetype)
    metrics_table[".notdef"], metrics_table["space"] = (500, 50), (space, 0)
    drawings["space"] = []

    fb = FontBuilder(UPM, isTTF=truetype)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    if truetype:
        glyphs = {}
        for name in order:
            pen = TTGlyphPen(None)
            _draw(pen, drawings[name])
            glyphs[name] = pen.glyph()
        fb.setupGlyf(glyphs)
    else:
        charstrings = {}
        for name in order:
            pen = T2CharStringPen(metrics_table[name][0], None)
            _draw(pen, drawings[name])
            charstrings[name] = pen.getCharString()
        latin1 = glyph_set.name.encode("latin-1", "replace").decode("latin-1")  # CFF strings are Latin-1
        fb.setupCFF(postscript_name(glyph_set.name), {"FullName": latin1}, charstrings, {})
    y_bounds = [y for name in order for c in drawings[name] for _, y, _ in c]
    y_max, y_min = max(y_bounds + [ASCENDER]), min(y_bounds + [DESCENDER])
    fb.setupHorizontalMetrics(metrics_table)
    fb.setupHorizontalHeader(ascent=ASCENDER, descent=DESCENDER, lineGap=LINE_GAP)
    family = glyph_set.name.strip() or "Artgan Font"
    fb.setupNameTable({
        "familyName": family, "styleName": "Regular", "fullName": f"{family} Regular",
        "uniqueFontIdentifier": f"artgan:{postscript_name(family)}", "psName": postscript_name(family),
        "version": "Version 1.000", "description": description[:1000] or "made with artgan",
    }, mac=False)  # Windows (Unicode) names only: any family name, and what every current system reads
    fb.setupOS2(sTypoAscender=ASCENDER, sTypoDescender=DESCENDER, sTypoLineGap=LINE_GAP,
                usWinAscent=int(y_max), usWinDescent=int(-y_min), sxHeight=int(metrics["x_height"]),
                sCapHeight=int(metrics["cap_height"]), achVendID="NONE", fsType=0, usWeightClass=400,
                fsSelection=0x40 | 0x80, version=4, usDefaultChar=0, usBreakChar=32)
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    built.data = out.getvalue()
    return built
