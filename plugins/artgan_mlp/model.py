"""The MLP generator and discriminator (the seed's architecture)."""

from __future__ import annotations

import torch
from torch import nn


def _mlp(widths: list[int]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-2], widths[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    return layers


class Generator(nn.Module):
    """Noise ``N×z_dim`` → images ``N×1×S×S`` in [-1, 1] through a sigmoid output layer."""

    def __init__(self, z_dim: int, hidden: tuple[int, ...], image_size: int) -> None:
        super().__init__()
        self.z_dim, self.image_size = z_dim, image_size
        self.net = nn.Sequential(*_mlp([z_dim, *hidden, image_size * image_size]), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        pixels = self.net(z) * 2 - 1  # sigmoid's [0, 1] → artgan's [-1, 1]
        return pixels.view(-1, 1, self.image_size, self.image_size)


class Discriminator(nn.Module):
    """Images ``N×1×S×S`` → one real/fake logit each (no sigmoid: losses take logits)."""

    def __init__(self, hidden: tuple[int, ...], image_size: int) -> None:
        super().__init__()
        self.net = nn.Sequential(*_mlp([image_size * image_size, *hidden, 1]))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images.flatten(1)).squeeze(1)
