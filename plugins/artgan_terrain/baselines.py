"""Procedural terrain, the non-learned baselines the GAN is measured against.

- :func:`fbm`: fractional Brownian surfaces by spectral synthesis (Voss 1985; Saupe,
  "Algorithms for random fractals", 1988): random phases under an amplitude spectrum
  ∝ k^(−β/2), so the power spectrum falls as k^−β (β = 2: Brown noise; β = 3: smoother);
- :func:`diamond_square`: the midpoint displacement of Fournier, Fussell & Carpenter
  (1982), random offsets shrinking by 2^−H per level (H = roughness exponent).
"""

from __future__ import annotations

import numpy as np


def fbm(n: int, size: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` surfaces of ``size×size`` with power spectrum ∝ k^−β (cut from a twice larger periodic field)."""
    side = 2 * size
    ky, kx = np.meshgrid(np.fft.fftfreq(side), np.fft.fftfreq(side), indexing="ij")
    k = np.hypot(ky, kx)
    k[0, 0] = np.inf
    amplitude = k ** (-beta / 2)
    out = np.empty((n, size, size))
    for i in range(n):
        spectrum = amplitude * np.exp(2j * np.pi * rng.random((side, side))) * rng.standard_normal((side, side))
        out[i] = np.fft.ifft2(spectrum).real[:size, :size]
    return out


def diamond_square(n: int, size: int, roughness: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` diamond-square surfaces cut to ``size×size`` (grown on the next 2ᵏ+1 grid)."""
    levels = int(np.ceil(np.log2(max(2, size - 1))))
    side = 2**levels + 1
    out = np.empty((n, size, size))
    for i in range(n):
        grid = np.zeros((side, side))
        grid[:: side - 1, :: side - 1] = rng.standard_normal((2, 2))
        step, scale = side - 1, 1.0
        while step > 1:
            half = step // 2
            # diamond: each square's centre from its four corners
            corners = (grid[0:-1:step, 0:-1:step] + grid[0:-1:step, step::step]
                       + grid[step::step, 0:-1:step] + grid[step::step, step::step]) / 4
            grid[half::step, half::step] = corners + scale * rng.standard_normal(corners.shape)
            # square: each edge midpoint from its (up to four) neighbours
            for y0 in (0, half):
                x0 = half - y0
                ys, xs = np.arange(y0, side, step), np.arange(x0, side, step)
                yy, xx = np.meshgrid(ys, xs, indexing="ij")
                total, count = np.zeros(yy.shape), np.zeros(yy.shape)
                for dy, dx in ((-half, 0), (half, 0), (0, -half), (0, half)):
                    ny, nx = yy + dy, xx + dx
                    inside = (ny >= 0) & (ny < side) & (nx >= 0) & (nx < side)
                    total[inside] += grid[ny[inside], nx[inside]]
                    count[inside] += 1
                grid[yy, xx] = total / count + scale * rng.standard_normal(yy.shape)
            step, scale = half, scale * 2 ** (-roughness)
        out[i] = grid[:size, :size]
    return out
