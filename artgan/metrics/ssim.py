"""Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) of luminance.

Used to check that a translated image keeps the content of its input: 1 means the same
structure, 0 none. Gaussian window 11×11, σ = 1.5, K₁ = 0.01, K₂ = 0.03, as in the paper.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def luminance(images: torch.Tensor) -> torch.Tensor:
    """ITU-R BT.601 luma in [0, 1] of ``N×3×H×W`` (or ``N×1×H×W``) images in [-1, 1]."""
    images = (images.float() + 1) / 2
    if images.shape[1] == 1:
        return images
    weights = torch.tensor([0.299, 0.587, 0.114], device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(1, keepdim=True)


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of the luminance of two image batches ``N×C×H×W`` in [-1, 1]; one value per pair."""
    if a.shape != b.shape:
        raise ValueError(f"SSIM needs images of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    x, y = luminance(a), luminance(b)
    taps = torch.exp(-((torch.arange(11, dtype=torch.float32) - 5) ** 2) / (2 * 1.5**2))
    taps = (taps / taps.sum()).to(x.device)
    window = torch.outer(taps, taps).view(1, 1, 11, 11)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, window)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    score = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return score.flatten(1).mean(1)
