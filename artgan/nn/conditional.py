"""Conditioning and padding blocks for fully convolutional generators of any size.

:class:`ConditionalBatchNorm` lets a class label (or a mix of labels) and a global latent
steer every layer (de Vries et al. 2017; Miyato & Koyama 2018). :class:`Upsample2x` doubles a
feature map's size, nearest or bilinear, padding the way the convolutions do. :func:`set_padding`
switches every convolution (and every upsampling) between ordinary and circular padding: with
circular padding and a periodic noise field a generator's output wraps around seamlessly, so it tiles.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

UPSAMPLE_MODES = ("nearest", "bilinear")


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


class Upsample2x(nn.Module):
    """×2 upsampling: ``nearest`` repeats each pixel; ``bilinear`` follows that with a fixed
    [1, 2, 1] ⊗ [1, 2, 1] / 16 blur, which equals bilinear interpolation (half-pixel centres)
    inside the map. The blur pads with :attr:`padding_mode`, which :func:`set_padding` switches
    with the convolutions', so a circular generator stays circular (``F.interpolate`` would
    clamp at the edges). Nearest repetition followed by a 3×3 convolution lets a generator make
    even and odd pixels differ, a faint 2-pixel ripple; the blur takes that freedom away."""

    def __init__(self, channels: int, mode: str = "nearest", padding_mode: str = "reflect") -> None:
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ValueError(f"upsampling mode {mode!r}: expected one of {', '.join(UPSAMPLE_MODES)}")
        self.mode, self.padding_mode = mode, padding_mode
        taps = torch.tensor([1.0, 2.0, 1.0])
        blur = (taps[:, None] * taps[None, :] / 16).expand(channels, 1, 3, 3).contiguous()  # one per channel: a fixed shape, as ONNX needs
        self.register_buffer("kernel", blur, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.mode == "nearest":
            return x
        x = F.pad(x, (1, 1, 1, 1), mode=self.padding_mode)
        return F.conv2d(x, self.kernel.to(x.dtype), groups=self.kernel.shape[0])

    def reach(self) -> int:
        """Pixels of context each side (at the upsampled scale) that decide an output pixel."""
        return 1 if self.mode == "bilinear" else 0

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


def set_padding(module: nn.Module, mode: str) -> None:
    """Make every padded convolution and every :class:`Upsample2x` in ``module`` pad with
    ``mode`` (e.g. circular, reflect)."""
    for part in module.modules():
        if isinstance(part, Upsample2x) or (isinstance(part, nn.Conv2d) and any(part.padding)):
            part.padding_mode = mode
