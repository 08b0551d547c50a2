"""Reading real elevation grids into metres on square cells.

Digital elevation models come in many containers. This module reads the common ones into
one shape, :class:`Dem`: a float32 ``H×W`` array of metres (NaN where there is no data)
on square cells of a known size, row 0 the northern edge.

- ``.npz`` with an ``elevation`` array (or a single 2-D array) and whatever metadata its
  source recorded: ``cell_m`` (metres), ``cellsize`` + ``yllcorner`` (an ESRI grid header;
  degrees when the corner is a latitude and the cell is below 0.01), ``cell_deg`` +
  ``lat_min`` (an SRTM tile), ``dx``/``dy`` + ``ymin``/``ymax`` (degrees), ``latitude`` (an
  array of degrees); ``nodata``/``nodata_value`` mark missing cells, as do -32768 and -9999;
- ``.asc``: an ESRI ASCII grid (``ncols``, ``nrows``, ``xllcorner``, ``yllcorner``,
  ``cellsize``, ``NODATA_value``, then rows north to south);
- a 16-bit grey ``.png``/``.tif`` heightmap: with the JSON sidecar artgan writes beside it
  (``min_height_m``, ``max_height_m``, ``cell_size_m``) it is in metres, without one its
  grey levels are read as metres (0–65535) on cells of ``default_cell_m``.

Grids in degrees have cells narrower east–west than north–south (by cos latitude); they
are resampled east–west so the cells are square, else every landform would come out
squashed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgan.errors import ArtganError

DEM_SUFFIXES = (".npz", ".asc", ".png", ".tif", ".tiff")
METRES_PER_DEGREE = 111_320.0  # one degree of latitude (and of longitude at the equator), metres
NODATA_SENTINELS = (-32768.0, -9999.0)  # what SRTM and ESRI grids write for a missing cell


@dataclass
class Dem:
    """One elevation grid: metres (NaN = no data), square cells of ``cell_m`` metres."""

    name: str
    heights: np.ndarray  # float32 H×W metres, row 0 north
    cell_m: float  # side of a cell, metres


def read_dem(path: str | Path, *, default_cell_m: float = 30.0) -> Dem:
    """The grid in ``path`` as metres on square cells; an ArtganError names what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DEM_SUFFIXES:
        raise ArtganError(f"{path}: not an elevation grid artgan reads; give {', '.join(DEM_SUFFIXES)} files")
    try:
        if suffix == ".npz":
            heights, cell_x, cell_y, nodata = _read_npz(path)
        elif suffix == ".asc":
            heights, cell_x, cell_y, nodata = _read_asc(path)
        else:
            heights, cell_x, cell_y, nodata = _read_raster(path, default_cell_m)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ArtganError(f"{path}: cannot read it as an elevation grid ({exc})") from None
    heights = heights.astype(np.float32)
    missing = ~np.isfinite(heights)
    for value in (*NODATA_SENTINELS, *([] if nodata is None else [nodata])):
        missing |= heights == np.float32(value)
    heights[missing] = np.nan
    if heights.ndim != 2 or min(heights.shape) < 2:
        raise ArtganError(f"{path}: an elevation grid is a 2-D array, got shape {heights.shape}")
    if not (cell_x > 0 and cell_y > 0 and math.isfinite(cell_x) and math.isfinite(cell_y)):
        raise ArtganError(f"{path}: its cell size ({cell_x} × {cell_y}) is not a positive number")
    if abs(cell_x / cell_y - 1) > 0.01:
        heights = _resize(heights, (heights.shape[0], max(2, round(heights.shape[1] * cell_x / cell_y))))
    return Dem(path.stem, heights, float(cell_y))


def resample(dem: Dem, cell_m: float) -> Dem:
    """``dem`` on cells of ``cell_m`` metres (area-averaged when coarser; a cell touching
    missing data is missing)."""
    if abs(cell_m / dem.cell_m - 1) < 1e-6:
        return dem
    scale = dem.cell_m / cell_m
    size = (max(1, round(dem.heights.shape[0] * scale)), max(1, round(dem.heights.shape[1] * scale)))
    return Dem(dem.name, _resize(dem.heights, size, antialias=scale < 1), float(cell_m))


def _resize(heights: np.ndarray, size: tuple[int, int], antialias: bool = True) -> np.ndarray:
    """``heights`` bilinearly resized to ``size`` (rows, columns), missing cells kept missing:
    values and a validity mask are resized alike, and a cell less than fully valid is NaN."""
    import torch
    import torch.nn.functional as F

    valid = np.isfinite(heights)
    filled = torch.from_numpy(np.where(valid, heights, 0.0).astype(np.float32))[None, None]
    mask = torch.from_numpy(valid.astype(np.float32))[None, None]
    out = F.interpolate(filled, size=size, mode="bilinear", antialias=antialias, align_corners=False)[0, 0]
    weight = F.interpolate(mask, size=size, mode="bilinear", antialias=antialias, align_corners=False)[0, 0]
    result = (out / weight.clamp_min(1e-6)).numpy()
    result[weight.numpy() < 0.999] = np.nan
    return result.astype(np.float32)


def _degrees_to_metres(cell_deg: float, latitude: float) -> tuple[float, float]:
    """East–west and north–south sides of a cell ``cell_deg`` degrees wide at ``latitude``."""
    return cell_deg * METRES_PER_DEGREE * math.cos(math.radians(latitude)), cell_deg * METRES_PER_DEGREE


def _scalar(data: np.lib.npyio.NpzFile, *keys: str) -> float | None:
    for key in keys:
        if key in data.files and data[key].size == 1:
            return float(data[key])
    return None


def _read_npz(path: Path) -> tuple[np.ndarray, float, float, float | None]:
    with np.load(path, allow_pickle=False) as data:
        if "elevation" in data.files:
            heights = data["elevation"]
        else:
            grids = [k for k in data.files if data[k].ndim == 2]
            if len(grids) != 1:
                raise ValueError("it holds no 'elevation' array and not exactly one 2-D array")
            heights = data[grids[0]]
        heights = np.array(heights, dtype=np.float32)
        nodata = _scalar(data, "nodata", "nodata_value", "NODATA_value")
        rows = heights.shape[0]
        if (cell := _scalar(data, "cell_m")) is not None:
            return heights, cell, cell, nodata
        if (cell := _scalar(data, "cell_deg")) is not None:
            south = _scalar(data, "lat_min")
            latitude = 0.0 if south is None else south + cell * rows / 2
            return (heights, *_degrees_to_metres(cell, latitude), nodata)
        if (cell := _scalar(data, "cellsize")) is not None:
            south = _scalar(data, "yllcorner")
            if cell < 0.01 and south is not None and -90 <= south <= 90:  # a geographic grid
                return (heights, *_degrees_to_metres(cell, south + cell * rows / 2), nodata)
            return heights, cell, cell, nodata
        dx, dy = _scalar(data, "dx"), _scalar(data, "dy")
        if dx is not None and dy is not None:
            ends = [v for v in (_scalar(data, "ymin"), _scalar(data, "ymax")) if v is not None]
            latitude = sum(ends) / len(ends) if ends else 0.0
            return heights, dx * METRES_PER_DEGREE * math.cos(math.radians(latitude)), dy * METRES_PER_DEGREE, nodata
        if "latitude" in data.files and "longitude" in data.files and data["latitude"].size > 1:
            lat, lon = np.asarray(data["latitude"], dtype=np.float64), np.asarray(data["longitude"], dtype=np.float64)
            cell_y = abs(lat[-1] - lat[0]) / (len(lat) - 1)
            cell_x = abs(lon[-1] - lon[0]) / (len(lon) - 1)
            latitude = float(lat.mean())
            if lat[0] < lat[-1]:  # stored south to north: row 0 must be the northern edge
                heights = heights[::-1].copy()
            return heights, cell_x * METRES_PER_DEGREE * math.cos(math.radians(latitude)), cell_y * METRES_PER_DEGREE, nodata
    raise ValueError("no cell size in it (cell_m, cell_deg, cellsize, dx/dy or latitude/longitude)")


def _read_asc(path: Path) -> tuple[np.ndarray, float, float, float | None]:
    header: dict[str, float] = {}
    with open(path, encoding="ascii", errors="replace") as handle:
        while len(header) < 6:
            position = handle.tell()
            line = handle.readline()
            parts = line.split()
            if len(parts) != 2 or parts[0][0].isdigit() or parts[0][0] == "-":
                handle.seek(position)
                break
            header[parts[0].lower()] = float(parts[1])
        rows = np.loadtxt(handle, dtype=np.float32, ndmin=2)
    for key in ("ncols", "nrows", "cellsize"):
        if key not in header:
            raise ValueError(f"its header has no {key}")
    if rows.shape != (int(header["nrows"]), int(header["ncols"])):
        raise ValueError(f"the header says {int(header['nrows'])}×{int(header['ncols'])}, the data is {rows.shape[0]}×{rows.shape[1]}")
    cell, south = header["cellsize"], header.get("yllcorner")
    if cell < 0.01 and south is not None and -90 <= south <= 90:
        return (rows, *_degrees_to_metres(cell, south + cell * rows.shape[0] / 2), header.get("nodata_value"))
    return rows, cell, cell, header.get("nodata_value")


def _read_raster(path: Path, default_cell_m: float) -> tuple[np.ndarray, float, float, float | None]:
    """A heightmap file through :func:`artgan_terrain.formats.read_heightmap` (its sidecar gives
    metres, cell size and row order), rows turned back to north first."""
    from artgan_terrain.formats import read_heightmap

    field = read_heightmap(path, cell_m=default_cell_m)
    return field.north_first(), field.cell_m, field.cell_m, None
