"""Training crops of real elevation: landform classes, per-crop normalisation, a held-out strip.

Every grid is read into metres on square cells (:mod:`artgan_terrain.dem`) and resampled
to the model's cell size. Crops are ``crop`` cells square. Each is normalised to [-1, 1]
by its own lowest and highest point: the model learns shapes, and the height range and
cell size are kept beside it (per class, the median lowest point and relief in metres),
so what it makes can be written back in metres.

Classes. A folder of class folders gives one class per folder. A flat folder of grids is
sorted into landforms by rules on each crop, measured in metres:

- ``coast``: between 2 % and 70 % of the crop is at or below sea level (0 m);
- ``mountains``: no sea, and the crop's relief (highest minus lowest point) is at least
  ``mountain_relief_m``;
- ``hills``: no sea, relief below that.

Crops with a missing cell, more than 70 % sea or under a metre of relief are not used.
The eastern ``holdout`` share of every grid's columns is never used for training: the
realism benchmark takes its real crops from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from artgan.errors import ArtganError
from artgan_terrain.dem import DEM_SUFFIXES, Dem, read_dem, resample

LANDFORMS = ("coast", "hills", "mountains")
SEA_SHARE = (0.02, 0.70)  # a coast crop has this share of cells at or below 0 m
MIN_RELIEF_M = 1.0  # flatter crops carry no shape
STRIDE = 4  # candidate crops start on this grid of cells

log = logging.getLogger("artgan")


@dataclass(frozen=True)
class CropRules:
    """How crops are cut and classed."""

    crop: int  # side in cells
    cell_m: float  # cell size the grids are resampled to
    mountain_relief_m: float  # relief from which a land crop is "mountains"
    holdout: float  # eastern share of each grid's columns kept for measuring only


def find_grids(source: str) -> list[tuple[str | None, Path]]:
    """``(class folder name or None, grid file)`` for a folder of grids or of class folders."""
    root = Path(source)
    if not root.exists():
        raise ArtganError(f"{root}: no such folder; give --data a folder of elevation grids ({', '.join(DEM_SUFFIXES)})")
    if root.is_file():
        return [(None, root)]
    loose = sorted(p for p in root.iterdir() if p.suffix.lower() in DEM_SUFFIXES and not p.name.startswith("."))
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    nested = [(f.name, p) for f in folders for p in sorted(f.iterdir()) if p.suffix.lower() in DEM_SUFFIXES]
    if loose and nested:
        raise ArtganError(f"{root}: holds both class folders and loose grids; move the grids into a class folder")
    found = nested or [(None, p) for p in loose]
    if not found:
        raise ArtganError(f"{root}: no elevation grids in it ({', '.join(DEM_SUFFIXES)})")
    return found


def load_grids(source: str, rules: CropRules) -> list[tuple[str | None, Dem]]:
    """The usable grids at ``rules.cell_m``; grids coarser than that or smaller than a crop are
    left out with a warning (upsampling would invent detail)."""
    grids = []
    for label, path in find_grids(source):
        dem = read_dem(path, default_cell_m=rules.cell_m)
        if dem.cell_m > rules.cell_m * 1.5:
            log.warning("%s: its cells (%.0f m) are coarser than the model's %.0f m; left out",
                        path.name, dem.cell_m, rules.cell_m)
            continue
        dem = resample(dem, rules.cell_m)
        if min(dem.heights.shape[0], dem.heights.shape[1] * (1 - rules.holdout)) < rules.crop:
            log.warning("%s: smaller than one %d-cell crop at %.0f m; left out", path.name, rules.crop, rules.cell_m)
            continue
        grids.append((label, dem))
    if not grids:
        raise ArtganError(f"{source}: no grid is large enough for {rules.crop}-cell crops at {rules.cell_m:.0f} m cells; "
                          "give larger grids, or a smaller -c crop / -c cell_m")
    return grids


def landform(patch: np.ndarray, rules: CropRules) -> str | None:
    """The landform class of a crop in metres, or None for a crop not to use."""
    if not np.isfinite(patch).all():
        return None
    sea = float((patch <= 0).mean())
    if sea > SEA_SHARE[1] or float(patch.max() - patch.min()) < MIN_RELIEF_M:
        return None
    if sea >= SEA_SHARE[0]:
        return "coast"
    return "mountains" if float(patch.max() - patch.min()) >= rules.mountain_relief_m else "hills"


def candidates(dem: Dem, rules: CropRules, part: str) -> list[tuple[int, int, str]]:
    """``(top, left, class)`` of the usable crops in the ``part`` ("train" or "holdout") of a grid."""
    heights = dem.heights
    rows, cols = heights.shape
    split = int(round(cols * (1 - rules.holdout)))
    lo, hi = (0, split) if part == "train" else (split, cols)
    found = []
    for top in range(0, rows - rules.crop + 1, STRIDE):
        for left in range(lo, hi - rules.crop + 1, STRIDE):
            kind = landform(heights[top : top + rules.crop, left : left + rules.crop], rules)
            if kind is not None:
                found.append((top, left, kind))
    return found


def normalise(patch: np.ndarray) -> tuple[torch.Tensor, float, float]:
    """A crop in metres as ``1×H×W`` in [-1, 1] by its own range; with its lowest point and relief."""
    low, high = float(patch.min()), float(patch.max())
    scaled = (patch - low) / (high - low) * 2 - 1
    return torch.from_numpy(scaled.astype(np.float32))[None], low, high - low


class TerrainCrops(Dataset):
    """Item ``i``: a random crop of class ``i mod K`` (classes balanced), randomly turned and
    mirrored (the 8 symmetries of the square: terrain has no preferred direction), as
    ``(1×crop×crop in [-1, 1], class index)``."""

    def __init__(self, source: str, rules: CropRules, part: str = "train") -> None:
        self.rules = rules
        grids = load_grids(source, rules)
        self.grids = [dem.heights for _, dem in grids]
        by_class: dict[str, list[tuple[int, int, int]]] = {}
        for index, (label, dem) in enumerate(grids):
            for top, left, kind in candidates(dem, rules, part):
                by_class.setdefault(label or kind, []).append((index, top, left))
        if not by_class:
            raise ArtganError(f"{source}: no usable {rules.crop}-cell crop in the {part} part of its grids "
                              "(every one has missing cells, is mostly sea or is flat)")
        self.names = sorted(by_class)
        self.crops = [np.asarray(by_class[name], dtype=np.int64) for name in self.names]
        self.base_m, self.relief_m = [], []
        for group in self.crops:  # the median lowest point and relief of each class, in metres
            lows, reliefs = [], []
            for index, top, left in group[:: max(1, len(group) // 256)]:
                patch = self.grids[index][top : top + rules.crop, left : left + rules.crop]
                lows.append(float(patch.min()))
                reliefs.append(float(patch.max() - patch.min()))
            self.base_m.append(float(np.median(lows)))
            self.relief_m.append(float(np.median(reliefs)))

    def __len__(self) -> int:
        return sum(len(group) for group in self.crops)

    def patch(self, label: int, which: int) -> np.ndarray:
        """Crop ``which`` of class ``label``, in metres."""
        index, top, left = self.crops[label][which]
        return self.grids[index][top : top + self.rules.crop, left : left + self.rules.crop]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        label = index % len(self.names)
        which = int(torch.randint(len(self.crops[label]), ()))
        heights, _, _ = normalise(self.patch(label, which))
        turns = int(torch.randint(4, ()))
        if turns:
            heights = torch.rot90(heights, turns, dims=(-2, -1))
        if torch.rand(()) < 0.5:
            heights = heights.flip(-1)
        return heights.contiguous(), label


def write_synthetic_grids(folder: Path, size: int, seed: int = 0) -> Path:
    """Two smooth random ``.npz`` grids of ``size``² cells of 90 m for tests: a rugged one
    and a low island in the sea (so every landform shows up)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for name, peak, sea_level in (("ridges", 1800.0, 0.0), ("island", 400.0, 0.45)):
        field = np.zeros((size, size))
        for _ in range(12):
            cy, cx, width = rng.random(), rng.random(), 0.05 + 0.2 * rng.random()
            field += rng.random() * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * width**2))
        field = (field - field.min()) / (field.max() - field.min())
        heights = ((field - sea_level) * peak).clip(min=0 if sea_level else None)
        np.savez(folder / f"{name}.npz", elevation=heights.astype(np.float32), cell_m=np.float64(90.0))
    return folder
