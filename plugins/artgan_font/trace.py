"""Vectorise a glyph raster: iso-contours, simplification and a quadratic spline fit.

1. **Contours**: the 0.5 iso-line of the ink coverage, with sub-pixel positions from
   linear interpolation (marching squares, by ``contourpy``, BSD-3-Clause), on the raster
   upsampled ×``upsample`` (bicubic) so curves come out round rather than faceted.
2. **Simplification**: Douglas–Peucker (Douglas & Peucker 1973) to ``tolerance`` pixels
   of the original raster.
3. **Curve fitting**: vertices where the outline turns by more than ``corner_degrees``
   stay corners (on-curve points); every other vertex becomes an off-curve control point
   of a quadratic B-spline whose on-curve points are implied halfway between two
   controls (the TrueType convention), so smooth runs are G1-continuous curves tangent
   to the simplified polygon's edges. For CFF each quadratic piece is raised exactly to a
   cubic by the pen.

A contour is a list of ``(x, y, on_curve)`` in raster pixels (x right, y down).
"""

from __future__ import annotations

import math
from typing import Any

Contour = list[tuple[float, float, bool]]


def iso_contours(raster: Any, upsample: int = 4, level: float = 0.5) -> list[Any]:
    """Closed iso-lines of ``raster`` (H×W float in [0, 1]) as N×2 arrays of (x, y) pixels, no repeat of the first point."""
    import numpy as np
    from contourpy import LineType, contour_generator
    from PIL import Image

    array = np.asarray(raster, dtype=np.float32)
    height, width = array.shape
    if upsample > 1:
        image = Image.fromarray(array, mode="F").resize((width * upsample, height * upsample), Image.Resampling.BICUBIC)
        array = np.clip(np.asarray(image), 0.0, 1.0)
    padded = np.pad(array, 1)  # a blank border closes every contour
    scale = 1.0 / upsample
    xs = (np.arange(padded.shape[1]) - 1 + 0.5) * scale
    ys = (np.arange(padded.shape[0]) - 1 + 0.5) * scale
    lines = contour_generator(x=xs, y=ys, z=padded, line_type=LineType.Separate).lines(level)
    out = []
    for line in lines:
        points = np.asarray(line, dtype=np.float64)
        if len(points) > 1 and np.allclose(points[0], points[-1]):
            points = points[:-1]
        if len(points) >= 3:
            out.append(points)
    return out


def signed_area(points: Any) -> float:
    """Shoelace area of a closed polygon (positive: counter-clockwise in y-up coordinates)."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float((x * _roll(y, -1) - _roll(x, -1) * y).sum())


def _roll(values: Any, shift: int) -> Any:
    import numpy as np

    return np.roll(values, shift)


def simplify(points: Any, tolerance: float) -> Any:
    """Douglas–Peucker on a closed polygon: split at the two farthest-apart vertices, simplify each half."""
    import numpy as np

    n = len(points)
    first = 0
    far = int(np.argmax(((points - points[first]) ** 2).sum(axis=1)))
    keep = np.zeros(n, dtype=bool)
    keep[[first, far]] = True
    ring = np.concatenate([points, points[:1]])
    for start, end in ((first, far), (far, n)):
        stack = [(start, end)]
        while stack:
            a, b = stack.pop()
            if b - a < 2:
                continue
            p, q = ring[a], ring[b]
            segment = ring[a + 1 : b]
            d = q - p
            length = math.hypot(*d)
            if length < 1e-9:
                dist = np.hypot(*(segment - p).T)
            else:
                dist = np.abs(d[0] * (segment[:, 1] - p[1]) - d[1] * (segment[:, 0] - p[0])) / length
            i = int(np.argmax(dist))
            if dist[i] > tolerance:
                keep[a + 1 + i] = True
                stack += [(a, a + 1 + i), (a + 1 + i, b)]
    return points[keep]


def fit_contour(points: Any, corner_degrees: float = 55.0) -> Contour:
    """Flag each vertex of a simplified closed polygon on-curve (a corner) or off-curve (smooth)."""
    import numpy as np

    previous = points - np.roll(points, 1, axis=0)
    following = np.roll(points, -1, axis=0) - points
    angle_in = np.arctan2(previous[:, 1], previous[:, 0])
    angle_out = np.arctan2(following[:, 1], following[:, 0])
    turn = np.degrees(np.abs((angle_out - angle_in + np.pi) % (2 * np.pi) - np.pi))
    return [(float(x), float(y), bool(t > corner_degrees)) for (x, y), t in zip(points, turn)]


def trace(raster: Any, *, upsample: int = 4, tolerance: float = 0.12, min_area: float = 0.6) -> list[Contour]:
    """Outline contours of a glyph raster (ink coverage in [0, 1]), specks under ``min_area`` px² dropped.

    ``upsample`` and ``tolerance`` are in pixels of ``raster``; a coarse raster (64 px) wants
    the default ×4, a fine one (256 px, as drawn) needs less.
    """
    out = []
    for points in iso_contours(raster, upsample=upsample):
        if abs(signed_area(points)) < min_area:
            continue
        simple = simplify(points, tolerance)
        if len(simple) >= 3:
            out.append(fit_contour(simple))
    return out


def contains(points: Any, x: float, y: float) -> bool:
    """Whether (x, y) lies inside the closed polygon ``points`` (even–odd ray casting)."""
    inside = False
    n = len(points)
    for i in range(n):
        x1, y1 = points[i]
        x2, y2 = points[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
