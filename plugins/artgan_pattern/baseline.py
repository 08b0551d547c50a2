"""A non-learned texture baseline: Perlin noise tinted with a class's colours.

A learned texture model has to beat this to be worth its weights: periodic Perlin gradient
noise (Perlin 2002), four octaves, scaled per channel to the class's mean and spread.
"""

from __future__ import annotations

import math

import torch


def perlin(n: int, size: int, generator: torch.Generator, octaves: int = 4, base_cells: int = 2) -> torch.Tensor:
    """``n×size×size`` periodic Perlin noise with zero mean and unit spread per image."""
    total = torch.zeros(n, size, size)
    for octave in range(octaves):
        cells = base_cells * 2**octave
        angles = torch.rand(n, cells, cells, generator=generator) * 2 * math.pi
        grads = torch.stack([angles.cos(), angles.sin()], dim=-1)
        coords = torch.arange(size, dtype=torch.float32) * cells / size
        cell, frac = coords.floor().long(), coords - coords.floor()
        fade = frac**3 * (frac * (frac * 6 - 15) + 10)
        y0, x0 = cell[:, None].expand(size, size), cell[None, :].expand(size, size)
        fy, fx = frac[:, None].expand(size, size), frac[None, :].expand(size, size)
        uy, ux = fade[:, None].expand(size, size), fade[None, :].expand(size, size)

        def corner(dy: int, dx: int) -> torch.Tensor:
            g = grads[:, (y0 + dy) % cells, (x0 + dx) % cells]
            return g[..., 0] * (fx - dx) + g[..., 1] * (fy - dy)

        top = corner(0, 0) * (1 - ux) + corner(0, 1) * ux
        bottom = corner(1, 0) * (1 - ux) + corner(1, 1) * ux
        total += (top * (1 - uy) + bottom * uy) * 0.5**octave
    total -= total.mean(dim=(1, 2), keepdim=True)
    return total / total.std(dim=(1, 2), keepdim=True).clamp_min(1e-6)


def tinted_noise(real: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """Perlin noise in the per-channel mean and spread of ``real`` (``N×3×S×S`` in [-1, 1])."""
    mean, spread = real.mean(dim=(0, 2, 3)), real.std(dim=(0, 2, 3))
    noise = perlin(n, real.shape[-1], generator)[:, None]
    return (mean.view(1, 3, 1, 1) + spread.view(1, 3, 1, 1) * noise).clamp(-1, 1)
