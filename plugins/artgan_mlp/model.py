"""The MLP generator and discriminator (the seed's architecture)."""

from __future__ import annotations

import torch
from torch import nn


def _mlp(widths: list[int], dropout: float = 0.0) -> list[nn.Module]:
    """Linear layers of ``widths`` with ReLU between them (and dropout after each ReLU if asked)."""
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-2], widths[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
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
    """Images ``N×1×S×S`` → one real/fake logit each (no sigmoid: losses take logits).

    ``dropout`` after each hidden layer regularises it as in the original GAN paper
    (Goodfellow et al. 2014, §5: dropout in the discriminator). ``r1_gamma`` is the R1 weight
    the loss applies this step, kept here because the plugin's schedule may change it mid-run.
    """

    def __init__(self, hidden: tuple[int, ...], image_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(*_mlp([image_size * image_size, *hidden, 1], dropout))
        self.r1_gamma = 0.0

    def set_dropout(self, rate: float) -> None:
        """Change the dropout rate of every hidden layer (a schedule over training)."""
        for module in self.net:
            if isinstance(module, nn.Dropout):
                module.p = rate

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images.flatten(1)).squeeze(1)
