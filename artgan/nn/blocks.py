"""Convolution blocks for image-to-image generators."""

from __future__ import annotations

import torch
from torch import nn

from artgan.nn.norm import InstanceNorm


class ReflectionPad(nn.ReflectionPad2d):
    """``nn.ReflectionPad2d`` that pads in its input's dtype.

    CPU autocast lists reflection padding as a float32 op: under bf16 autocast every pad
    would copy its input to float32 and the next convolution would copy it back; in a profiled
    stylize pass that took longer than the convolutions. Padding only moves values, so any
    dtype is exact.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return super().forward(x)


class ConvNormAct(nn.Sequential):
    """Reflection-padded convolution → instance norm → ReLU (the CycleGAN generator's unit)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, act: bool = True) -> None:
        layers: list[nn.Module] = [
            ReflectionPad(kernel // 2),
            nn.Conv2d(cin, cout, kernel, stride=stride, bias=False),
            InstanceNorm(cout),
        ]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """``x + F(x)`` with two 3×3 ConvNormAct units (He et al. 2016, as in CycleGAN)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(ConvNormAct(channels, channels, 3), ConvNormAct(channels, channels, 3, act=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Upsample(nn.Sequential):
    """×2 upsampling then ConvNormAct: ``resize`` (nearest + conv, free of checkerboard
    artefacts, Odena et al. 2016) or ``transpose`` (a strided transposed conv, as in CycleGAN)."""

    def __init__(self, cin: int, cout: int, kind: str = "resize") -> None:
        if kind == "resize":
            super().__init__(nn.Upsample(scale_factor=2, mode="nearest"), ConvNormAct(cin, cout, 3))
        elif kind == "transpose":
            super().__init__(
                nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1, bias=False),
                InstanceNorm(cout),
                nn.ReLU(inplace=True),
            )
        else:
            raise ValueError(f"upsampling kind must be resize or transpose, not {kind!r}")
