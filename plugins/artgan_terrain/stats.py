"""Terrain statistics for judging realism, and distances between their distributions.

Every statistic is computed on crops normalised to [0, 1] by their own range, with the
crop's side as the unit of length, so real, generated and procedural crops compare by
shape alone (none of the baselines has a metre scale):

- ``slope``: gradient magnitude per cell (central differences);
- ``curvature``: the Laplacian per cell (5-point stencil), the sign of hollows and noses;
- ``hypsometric``: the hypsometric integral per crop, (mean − min) / (max − min)
  (Strahler 1952): how much of the volume sits high;
- ``spectral_beta``: β of the radially averaged power spectrum P(k) ∝ k^−β per crop, fitted
  on log–log axes between 2 cycles and a quarter of the crop (real terrain is near 2, Brown
  noise is 2 exactly);
- ``pit_fraction``: share of interior cells lower than all 8 neighbours, per crop. Real
  terrain drains, so real grids have few; noise is full of them;
- ``log_flow``: log10 of the D8 flow accumulation per cell (O'Callaghan & Mark 1984: each
  cell drains to its steepest lower neighbour; accumulation counts the cells upstream,
  itself included). Drainage networks give a long tail; pitted noise stops short.

:func:`wasserstein` is the 1-D earth mover's distance between two samples.
"""

from __future__ import annotations

import numpy as np

STATISTICS = ("slope", "curvature", "hypsometric", "spectral_beta", "pit_fraction", "log_flow")
_NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def normalise(crops: np.ndarray) -> np.ndarray:
    """``N×H×W`` crops, each rescaled to [0, 1] by its own range (a flat crop stays 0)."""
    crops = np.asarray(crops, dtype=np.float64)
    low = crops.min(axis=(1, 2), keepdims=True)
    span = crops.max(axis=(1, 2), keepdims=True) - low
    return (crops - low) / np.where(span > 0, span, 1)


def slopes(crops: np.ndarray) -> np.ndarray:
    side = crops.shape[-1]
    gy, gx = np.gradient(crops, axis=(1, 2))
    return (np.hypot(gx, gy) * side).ravel()


def curvatures(crops: np.ndarray) -> np.ndarray:
    side = crops.shape[-1]
    c = crops[:, 1:-1, 1:-1]
    lap = crops[:, :-2, 1:-1] + crops[:, 2:, 1:-1] + crops[:, 1:-1, :-2] + crops[:, 1:-1, 2:] - 4 * c
    return (lap * side**2 / 100).ravel()  # per (crop/10)²: values of order one


def hypsometric_integral(crops: np.ndarray) -> np.ndarray:
    low, high = crops.min(axis=(1, 2)), crops.max(axis=(1, 2))
    return (crops.mean(axis=(1, 2)) - low) / np.where(high > low, high - low, 1)


def spectral_beta(crops: np.ndarray) -> np.ndarray:
    """β per crop: minus the slope of log P against log k (plane removed, Hann window)."""
    n, h, w = crops.shape
    yy, xx = np.mgrid[0:h, 0:w]
    design = np.stack([np.ones(h * w), yy.ravel(), xx.ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(design, crops.reshape(n, -1).T, rcond=None)
    detrended = crops - (design @ coef).T.reshape(n, h, w)
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2(detrended * window)) ** 2
    ky, kx = np.meshgrid(np.fft.fftfreq(h) * h, np.fft.fftfreq(w) * w, indexing="ij")
    radius = np.rint(np.hypot(ky, kx)).astype(int)
    ks = np.arange(2, max(3, min(h, w) // 4) + 1)
    counts = np.bincount(radius.ravel(), minlength=ks[-1] + 1)[ks]
    betas = np.empty(n)
    for i in range(n):
        radial = np.bincount(radius.ravel(), weights=power[i].ravel(), minlength=ks[-1] + 1)[ks] / counts
        slope, _ = np.polyfit(np.log(ks), np.log(np.maximum(radial, 1e-30)), 1)
        betas[i] = -slope
    return betas


def pit_fraction(crops: np.ndarray) -> np.ndarray:
    c = crops[:, 1:-1, 1:-1]
    h, w = crops.shape[1:]
    lower = np.ones(c.shape, dtype=bool)
    for dy, dx in _NEIGHBOURS:
        lower &= c < crops[:, 1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx]
    return lower.mean(axis=(1, 2))


def flow_accumulation(crops: np.ndarray) -> np.ndarray:
    """D8 flow accumulation ``N×H×W`` (cells draining through each cell, itself included).

    Cells pass their count to their steepest lower neighbour (drop over distance, √2 on the
    diagonals); edges drain out of the crop, pits and flats keep theirs. The accumulation runs
    level by level from the cells nothing drains into (a topological order, all crops at once)."""
    n, h, w = crops.shape
    padded = np.pad(crops, ((0, 0), (1, 1), (1, 1)), constant_values=np.inf)
    best = np.zeros((n, h, w))
    receiver = np.full((n, h, w), -1, dtype=np.int64)
    index = np.arange(n * h * w).reshape(n, h, w)
    padded_index = np.pad(index, ((0, 0), (1, 1), (1, 1)), constant_values=-1)
    for dy, dx in _NEIGHBOURS:
        neighbour = padded[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        drop = (crops - neighbour) / np.hypot(dy, dx)
        better = drop > best
        best = np.where(better, drop, best)
        receiver = np.where(better, padded_index[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w], receiver)
    receiver = receiver.ravel()
    accumulation = np.ones(n * h * w)
    has = receiver >= 0
    indegree = np.bincount(receiver[has], minlength=n * h * w)
    frontier = np.flatnonzero(indegree == 0)
    while frontier.size:
        frontier = frontier[has[frontier]]
        targets = receiver[frontier]
        np.add.at(accumulation, targets, accumulation[frontier])
        np.subtract.at(indegree, targets, 1)
        frontier = np.unique(targets[indegree[targets] == 0])
    return accumulation.reshape(n, h, w)


def statistics(crops: np.ndarray) -> dict[str, np.ndarray]:
    """Each statistic of :data:`STATISTICS` over ``N×H×W`` crops (normalised here)."""
    crops = normalise(crops)
    return {
        "slope": slopes(crops),
        "curvature": curvatures(crops),
        "hypsometric": hypsometric_integral(crops),
        "spectral_beta": spectral_beta(crops),
        "pit_fraction": pit_fraction(crops),
        "log_flow": np.log10(flow_accumulation(crops)).ravel(),
    }


def wasserstein(a: np.ndarray, b: np.ndarray, points: int = 1000) -> float:
    """1-D Wasserstein-1 distance between two samples: the mean gap between their quantiles."""
    q = (np.arange(points) + 0.5) / points
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())
