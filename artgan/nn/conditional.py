"""Conditioning and padding blocks for fully convolutional generators of any size.

:class:`ConditionalBatchNorm` lets a class label (or a mix of labels) and a global latent
steer every layer (de Vries et al. 2017; Miyato & Koyama 2018). :func:`set_padding` switches
every convolution between ordinary and circular padding: with circular padding and a
periodic noise field a generator's output wraps around seamlessly, so it tiles.
"""

from __future__ import annotations

import torch
from torch import nn


class ConditionalBatchNorm(nn.Module):
    """Batch norm without its own affine; scale and shift come from a condition vector."""

    def __init__(self, channels: int, condition: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(condition, channels)
        self.bias = nn.Linear(condition, channels)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.gain.bias)
        nn.init.zeros_(self.bias.weight)
        nn.init.zeros_(self.bias.bias)

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        gain = 1 + self.gain(condition)[:, :, None, None]
        return self.norm(x) * gain + self.bias(condition)[:, :, None, None]


def set_padding(module: nn.Module, mode: str) -> None:
    """Make every padded convolution in ``module`` pad with ``mode`` (e.g. circular, reflect)."""
    for conv in module.modules():
        if isinstance(conv, nn.Conv2d) and any(conv.padding):
            conv.padding_mode = mode
