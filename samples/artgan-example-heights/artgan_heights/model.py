"""The networks: a small conditional conv generator and a projection discriminator.

Labels reach both as class *weights* ``N×K`` (one-hot for one class, a blend for a mix),
so a mix of classes is simply a weighted label.
"""

from __future__ import annotations

import torch
from torch import nn


class Generator(nn.Module):
    """Noise ``N×z_dim`` and class weights ``N×K`` → heights ``N×1×S×S`` in [-1, 1] (tanh).

    A linear stem makes an ``S/4`` grid; two nearest ×2 upsamplings with 3×3 convolutions
    bring it to ``S``.
    """

    def __init__(self, z_dim: int, classes: int, width: int, size: int) -> None:
        super().__init__()
        self.z_dim, self.classes, self.width, self.base = z_dim, classes, width, size // 4
        self.stem = nn.Linear(z_dim + classes, width * self.base * self.base)
        self.body = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2), nn.Conv2d(width, width // 2, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2), nn.Conv2d(width // 2, 1, 3, padding=1), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        start = self.stem(torch.cat([z, labels.to(z.dtype)], dim=1))
        return self.body(start.view(-1, self.width, self.base, self.base))


class Discriminator(nn.Module):
    """Heights ``N×1×S×S`` and class weights ``N×K`` → one logit each.

    Projection discriminator (Miyato & Koyama 2018): ``ψ(φ(x)) + ⟨embed(y), φ(x)⟩``, where
    ``φ`` is two stride-2 convolutions and a sum over positions.
    """

    def __init__(self, classes: int, width: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width // 2, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(width, 1)
        self.embed = nn.Linear(classes, width, bias=False)

    def forward(self, heights: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        features = self.features(heights).sum(dim=(2, 3))
        projection = (self.embed(labels.to(features.dtype)) * features).sum(dim=1)
        return self.head(features).squeeze(1) + projection
