"""The PatchGAN discriminator (Isola et al. 2017): one real/fake score per image patch."""

from __future__ import annotations

import torch
from torch import nn

from artgan.nn.norm import InstanceNorm


class PatchDiscriminator(nn.Module):
    """``layers`` stride-2 4×4 convs then two stride-1 ones; 3 layers see 70×70 patches.

    Returns a map of logits ``N×1×h×w``, one per overlapping patch.
    """

    def __init__(self, channels: int = 3, width: int = 64, layers: int = 3) -> None:
        super().__init__()
        blocks: list[nn.Module] = [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        cin = width
        for i in range(1, layers + 1):
            cout = width * min(2**i, 8)
            stride = 2 if i < layers else 1
            blocks += [nn.Conv2d(cin, cout, 4, stride=stride, padding=1, bias=False), InstanceNorm(cout), nn.LeakyReLU(0.2, inplace=True)]
            cin = cout
        blocks.append(nn.Conv2d(cin, 1, 4, stride=1, padding=1))
        self.body = nn.Sequential(*blocks)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images)
