"""Maps derived from a heightfield in metres: hillshade, hypsometric colour, normals, splat weights.

All take ``H×W`` float heights in metres with row 0 the northern edge and a cell size in
metres, and return float arrays; the formats module turns them into files.
"""

from __future__ import annotations

import numpy as np

#: Hypsometric tints from low to high (fractions of the land's range): green lowland, olive,
#: ochre, brown, rock grey, snow; and blues for heights below sea level.
LAND_TINTS = ((0.00, (0.22, 0.45, 0.24)), (0.15, (0.45, 0.60, 0.32)), (0.35, (0.78, 0.72, 0.46)),
              (0.60, (0.60, 0.45, 0.32)), (0.85, (0.62, 0.60, 0.58)), (1.00, (0.97, 0.97, 0.97)))
SEA_TINTS = ((0.00, (0.10, 0.22, 0.45)), (1.00, (0.45, 0.65, 0.85)))
#: Heights this close above 0 m show as sea: the model's sea lies within millimetres of 0 m
#: (its output saturates there, as the training crops' flat SRTM sea does), 16-bit files keep it.
SEA_TOLERANCE_M = 0.05


def gradients(heights: np.ndarray, cell_m: float, wrap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """East and north slopes (dz/dx, dz/dy, metres per metre) by central differences
    (one-sided at the edges, or wrapped around for a tileable map)."""
    h = np.asarray(heights, dtype=np.float64)
    if wrap:
        east = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) / (2 * cell_m)
        south = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) / (2 * cell_m)
    else:
        east = np.gradient(h, cell_m, axis=1)
        south = np.gradient(h, cell_m, axis=0)
    return east, -south  # rows run north to south, so north is minus the row direction


def hillshade(heights: np.ndarray, cell_m: float, azimuth: float = 315.0, altitude: float = 45.0) -> np.ndarray:
    """Relief shading in [0, 1], lit from ``azimuth`` degrees clockwise from north at ``altitude``
    degrees above the horizon (the cartographic convention: light from the north-west)."""
    east, north = gradients(heights, cell_m)
    az, alt = np.radians(azimuth), np.radians(altitude)
    light = np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])
    norm = np.sqrt(east**2 + north**2 + 1)
    shade = (-east * light[0] - north * light[1] + light[2]) / norm
    return np.clip(shade, 0, 1).astype(np.float32)


def _ramp(fraction: np.ndarray, stops: tuple[tuple[float, tuple[float, float, float]], ...]) -> np.ndarray:
    at = [s for s, _ in stops]
    return np.stack([np.interp(fraction, at, [c[i] for _, c in stops]) for i in range(3)], axis=-1)


def hypsometric(heights: np.ndarray) -> np.ndarray:
    """``H×W×3`` colours in [0, 1] by height: land tints over the land's range, blues at and below
    sea level (within :data:`SEA_TOLERANCE_M` of 0 m) when the map reaches it, deeper darker."""
    h = np.asarray(heights, dtype=np.float64)
    low, high = float(h.min()), float(h.max())
    if low <= SEA_TOLERANCE_M < high:
        sea = h <= SEA_TOLERANCE_M
        land = _ramp(np.clip(h / high, 0, 1), LAND_TINTS)
        water = _ramp(np.clip(1 - h / low, 0, 1) if low < 0 else np.ones_like(h), SEA_TINTS)
        return np.where(sea[..., None], water, land).astype(np.float32)
    return _ramp((h - low) / max(high - low, 1e-9), LAND_TINTS).astype(np.float32)


def shaded_relief(heights: np.ndarray, cell_m: float) -> np.ndarray:
    """The preview: hypsometric colour times hillshade (softened so shadows keep their colour)."""
    shade = hillshade(heights, cell_m)
    return np.clip(hypsometric(heights) * (0.35 + 0.65 * shade[..., None]) * 1.15, 0, 1).astype(np.float32)


def normal_map(heights: np.ndarray, cell_m: float, convention: str = "opengl", wrap: bool = False) -> np.ndarray:
    """Tangent-space normals ``H×W×3`` in [-1, 1]: x east, y north, z up (``opengl``, Y+), or with
    y pointing south (``directx``, Y−: the green channel inverted)."""
    if convention not in ("opengl", "directx"):
        raise ValueError(f"normal map convention is 'opengl' or 'directx', not {convention!r}")
    east, north = gradients(heights, cell_m, wrap)
    normals = np.stack([-east, -north, np.ones_like(east)], axis=-1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    if convention == "directx":
        normals[..., 1] *= -1
    return normals.astype(np.float32)


def slope_degrees(heights: np.ndarray, cell_m: float, wrap: bool = False) -> np.ndarray:
    east, north = gradients(heights, cell_m, wrap)
    return np.degrees(np.arctan(np.hypot(east, north)))


#: Splat channels, in order: what each layer is for and when it shows.
SPLAT_LAYERS = ("R: lowland (gentle, low)", "G: upland grass (gentle, middle)", "B: rock (steep)", "A: snow (gentle, high)")


def splat_weights(heights: np.ndarray, cell_m: float, *, rock_slope: float = 35.0, snow_line: float = 0.8,
                  wrap: bool = False) -> np.ndarray:
    """``H×W×4`` layer weights summing to 1 per sample (the RGBA splat map engines blend by):
    rock where the slope passes ``rock_slope`` degrees (a 10° soft edge), snow on gentle ground
    above ``snow_line`` of the height range, lowland below a third of it, upland grass between."""
    h = np.asarray(heights, dtype=np.float64)
    low, high = float(h.min()), float(h.max())
    level = (h - low) / max(high - low, 1e-9)
    rock = np.clip((slope_degrees(h, cell_m, wrap) - (rock_slope - 5)) / 10, 0, 1)
    snow = np.clip((level - snow_line) / 0.1 + 0.5, 0, 1) * (1 - rock)
    lowland = np.clip((1 / 3 - level) / 0.1 + 0.5, 0, 1) * (1 - rock) * (1 - snow)
    grass = np.clip(1 - rock - snow - lowland, 0, 1)
    weights = np.stack([lowland, grass, rock, snow], axis=-1)
    return (weights / weights.sum(axis=-1, keepdims=True)).astype(np.float32)
