"""Sliced Wasserstein distance between the patch distributions of two image sets.

As in Karras et al. 2018, "Progressive Growing of GANs" (§5 and their
``metrics/sliced_wasserstein.py``): each image is split into a Laplacian pyramid; from every
level, random 7×7 neighbourhoods are drawn as descriptors; the distance between the two
descriptor sets is the mean, over random unit directions, of the 1-D Wasserstein distance
of their projections. Small is close; reported ×1000 like the paper, per level and averaged.

One deliberate difference: the paper normalises each descriptor set by its own per-channel
mean and deviation, which hides a global shift in colour or contrast. Here both sets are
normalised by the *reference* set's statistics, so a palette that is off counts.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PATCH = 7  # neighbourhood size (paper: 7)
PATCHES_PER_IMAGE = 128  # descriptors drawn per image and level (paper: 128)
DIRECTIONS = 128  # random directions per repeat (paper: 128)
REPEATS = 4  # repeats with fresh directions (paper: 4)


def _binomial_kernel(channels: int, device: torch.device) -> torch.Tensor:
    taps = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=device)
    kernel = torch.outer(taps, taps) / 256.0
    return kernel.expand(channels, 1, 5, 5).contiguous()


def _blur(images: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    return F.conv2d(F.pad(images, (2, 2, 2, 2), mode="reflect"), kernel, groups=images.shape[1])


def laplacian_pyramid(images: torch.Tensor, min_size: int = 2 * PATCH) -> list[torch.Tensor]:
    """Band-pass levels from fine to coarse; the last level is the remaining low-pass image."""
    kernel = _binomial_kernel(images.shape[1], images.device).to(images.dtype)
    levels, current = [], images
    while min(current.shape[-2:]) // 2 >= min_size:
        down = _blur(current, kernel)[..., ::2, ::2]
        up = F.interpolate(down, size=current.shape[-2:], mode="bilinear", align_corners=False)
        levels.append(current - up)
        current = down
    levels.append(current)
    return levels


def _descriptors(level: torch.Tensor, per_image: int, generator: torch.Generator) -> torch.Tensor:
    n, c, h, w = level.shape
    if h < PATCH or w < PATCH:
        raise ValueError(f"images of {h}×{w} are too small for {PATCH}×{PATCH} patches")
    ys = torch.randint(0, h - PATCH + 1, (n, per_image), generator=generator)
    xs = torch.randint(0, w - PATCH + 1, (n, per_image), generator=generator)
    offsets = torch.arange(PATCH)
    rows = (ys[..., None] + offsets)[..., :, None].expand(n, per_image, PATCH, PATCH)
    cols = (xs[..., None] + offsets)[..., None, :].expand(n, per_image, PATCH, PATCH)
    batch = torch.arange(n)[:, None, None, None].expand_as(rows)
    patches = level.cpu()[batch, :, rows, cols]  # n, per_image, 7, 7, c
    return patches.permute(0, 1, 4, 2, 3).reshape(n * per_image, c, PATCH, PATCH)


def _projected_distance(a: torch.Tensor, b: torch.Tensor, generator: torch.Generator) -> float:
    results = []
    for _ in range(REPEATS):
        directions = torch.randn(a.shape[1], DIRECTIONS, generator=generator, dtype=a.dtype)
        directions /= directions.norm(dim=0, keepdim=True)
        # one row per direction; numpy's sort is several times faster than torch's on CPU
        pa = np.sort((directions.T @ a.T).numpy(), axis=1)
        pb = np.sort((directions.T @ b.T).numpy(), axis=1)
        if pa.shape[1] != pb.shape[1]:  # compare the larger set at the smaller one's quantiles
            k = min(pa.shape[1], pb.shape[1])
            pick = lambda p: p[:, np.linspace(0, p.shape[1] - 1, k).round().astype(int)]  # noqa: E731
            pa, pb = pick(pa), pick(pb)
        results.append(float(np.abs(pa - pb).mean()))
    return sum(results) / len(results)


@torch.no_grad()
def sliced_wasserstein(
    images: torch.Tensor,
    reference: torch.Tensor,
    *,
    seed: int = 0,
    patches_per_image: int = PATCHES_PER_IMAGE,
) -> dict[str, float | list[float]]:
    """SWD×1000 of ``images`` against ``reference`` (both ``N×C×H×W``, same C and size).

    Returns ``{"swd": mean over levels, "swd_levels": [fine … coarse]}``. The figure depends
    on the image size and count, so compare numbers measured the same way.
    """
    if images.dim() != 4 or reference.dim() != 4 or images.shape[1:] != reference.shape[1:]:
        raise ValueError(f"need two N×C×H×W sets of one shape, got {tuple(images.shape)} and {tuple(reference.shape)}")
    generator = torch.Generator().manual_seed(seed)
    per_level = []
    for level_a, level_b in zip(laplacian_pyramid(images.double()), laplacian_pyramid(reference.double())):
        a = _descriptors(level_a, patches_per_image, generator)
        b = _descriptors(level_b, patches_per_image, generator)
        mean = b.mean(dim=(0, 2, 3), keepdim=True)
        std = b.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-8)
        a, b = ((a - mean) / std).flatten(1), ((b - mean) / std).flatten(1)
        per_level.append(_projected_distance(a, b, generator) * 1e3)
    return {"swd": sum(per_level) / len(per_level), "swd_levels": per_level}
