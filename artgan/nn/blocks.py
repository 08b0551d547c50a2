"""Convolution blocks for image-to-image generators."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from artgan.nn.norm import InstanceNorm


def pad_in_dtype(x: torch.Tensor, padding: tuple[int, ...], mode: str) -> torch.Tensor:
    """``F.pad`` that keeps its input's dtype under autocast.

    CPU autocast lists reflection and replication padding as float32 ops: under bf16
    autocast every pad would copy its input to float32 and the next convolution would copy
    it back; in a profiled stylize pass that took longer than the convolutions. Padding only
    moves values, so any dtype is exact.
    """
    with torch.autocast(x.device.type, enabled=False):
        return F.pad(x, padding, mode=mode)


class ReflectionPad(nn.ReflectionPad2d):
    """``nn.ReflectionPad2d`` that pads in its input's dtype (see :func:`pad_in_dtype`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pad_in_dtype(x, self.padding, "reflect")


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


#: The ×2 upsampling kinds of :class:`Upsample`.
UPSAMPLE_KINDS = ("resize", "bilinear", "transpose")


class Upsample(nn.Sequential):
    """×2 upsampling then ConvNormAct, of one of three kinds:

    - ``resize``: nearest + reflection pad + 3×3 conv (free of the checkerboard artefacts of
      transposed convolutions, Odena et al. 2016);
    - ``bilinear``: bilinear interpolation (edges clamped) + replicate pad + 3×3 conv. Nearest
      repetition leaves images of the input's spectrum near the 2-pixel period, which a
      following conv is free to turn into a fine regular grid; bilinear interpolation (a
      [1, 3, 3, 1] / 4 filter per axis) damps them, so a translator has far less grid to offer;
    - ``transpose``: a strided transposed conv, as in CycleGAN.

    ``resize`` and ``bilinear`` run as one convolution at the input's resolution followed by a
    pixel shuffle (see :func:`_subpixel_kernel`): the same result as upsampling, padding and
    convolving at twice the size, without building the upsampled input (about 40 % faster on a
    CPU), and the same cost for both kinds.
    """

    def __init__(self, cin: int, cout: int, kind: str = "resize") -> None:
        self.kind = kind
        if kind in ("resize", "bilinear"):
            super().__init__(nn.Upsample(scale_factor=2, mode="nearest" if kind == "resize" else "bilinear"),
                             ConvNormAct(cin, cout, 3))
        elif kind == "transpose":
            super().__init__(
                nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1, bias=False),
                InstanceNorm(cout),
                nn.ReLU(inplace=True),
            )
        else:
            raise ValueError(f"upsampling kind must be one of {', '.join(UPSAMPLE_KINDS)}, not {kind!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "transpose":
            return super().forward(x)
        unit = self[1]  # ConvNormAct: (pad), 3×3 conv, norm, [ReLU]
        padded = pad_in_dtype(x, (1, 1, 1, 1), "replicate")
        conv = unit[1]
        bias = conv.bias.repeat_interleave(4) if conv.bias is not None else None
        y = F.pixel_shuffle(F.conv2d(padded, _subpixel_kernel(conv.weight, self.kind), bias), 2)
        for layer in list(unit)[2:]:
            y = layer(y)
        return y


#: For output phase a (even or odd row/column), how much of each input pixel of a 3-pixel
#: window of the replicate-padded input (p: x[i-1], x[i], x[i+1]) lands on each tap i of the
#: 3-tap kernel on the upsampled, padded picture: ``_PHASE_TAPS[kind][a][p][i]``.
#: Nearest (reflection pad): phase 0 sees x[i-1], x[i], x[i]; phase 1 sees x[i], x[i], x[i+1].
#: Bilinear (replicate pad): upsampled pixel 2i is ¾·x[i] + ¼·x[i-1], 2i+1 is ¾·x[i] + ¼·x[i+1].
_PHASE_TAPS = {
    "resize": torch.tensor([
        [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ]),
    "bilinear": torch.tensor([
        [[0.75, 0.25, 0.0], [0.25, 0.75, 0.75], [0.0, 0.0, 0.25]],
        [[0.25, 0.0, 0.0], [0.75, 0.75, 0.25], [0.0, 0.25, 0.75]],
    ]),
}


def _subpixel_kernel(weight: torch.Tensor, kind: str = "resize") -> torch.Tensor:
    """Turn a 3×3 ``weight`` (cout, cin, 3, 3) meant for the upsampled, padded picture (see
    :class:`Upsample`) into a (4·cout, cin, 3, 3) kernel for ``pad_replicate(x)`` whose output,
    pixel-shuffled by 2, is the same. Exact: one pixel of reflection padding around a
    nearest-upsampled image repeats the edge pixel, which is what replicate padding of the small
    image gives; edge-clamped bilinear interpolation of a replicate-padded image is the same.
    """
    taps = _PHASE_TAPS[kind].to(weight.device, weight.dtype)
    kernel = torch.einsum("api,ocij,bqj->oabcpq", taps, weight, taps)  # (cout, 2, 2, cin, 3, 3)
    return kernel.reshape(-1, weight.shape[1], 3, 3)


# --------------------------------------------------------------------------- fused float32 inference
def _transposed_taps(kind: str) -> tuple[torch.Tensor, int]:
    """For each tap k of a transposed kernel (stride 2) on the replicate-padded input, which taps
    of the 3-tap upsampled-picture kernel it sums (rows of :data:`_PHASE_TAPS`, output phase a
    and input offset p at k = a − 2p + 4), with all-zero taps at either end dropped; and the
    ``padding`` of the transposed convolution that goes with them."""
    phases = _PHASE_TAPS[kind]
    rows = torch.zeros(6, 3)
    for a in range(2):
        for p in range(3):
            rows[a - 2 * p + 4] = phases[a][p]
    used = rows.abs().sum(1).nonzero().flatten()
    first, last = int(used[0]), int(used[-1])
    return rows[first : last + 1], 4 - first


def _transposed_kernel(weight: torch.Tensor, kind: str = "resize") -> torch.Tensor:
    """Turn a 3×3 ``weight`` (cout, cin, 3, 3) meant for the upsampled, padded picture into a
    (cin, cout, K, K) kernel for ``conv_transpose2d(pad_replicate(x), stride=2, padding=P)`` with
    the same result (K and P from :func:`_transposed_taps`: 4 and 3 for nearest, 6 and 4 for
    bilinear); the transposed convolution lays the four phases out itself, so neither a pixel
    shuffle nor the zero taps of the phase kernels cost anything.
    """
    taps = _transposed_taps(kind)[0].to(weight.device, weight.dtype)
    return torch.einsum("ki,ocij,lj->cokl", taps, weight, taps)


def _input_padding(layer: nn.Module) -> tuple[str, int] | None:
    """The padding ``layer`` applies to its input first (mode, pixels), if it is one the fused
    path can write ahead: the previous layer then writes its output into a padded buffer."""
    if isinstance(layer, ResidualBlock):
        return _input_padding(layer.body[0])
    if isinstance(layer, ConvNormAct):
        layer = layer[0]
    if isinstance(layer, Upsample) and layer.kind != "transpose":
        return ("replicate", 1)
    if isinstance(layer, ReflectionPad) and len(set(layer.padding)) == 1:
        return ("reflect", layer.padding[0])
    return None


def _fill_border(buffer: torch.Tensor, pad: int, mode: str) -> None:
    """Fill the ``pad``-pixel border of ``buffer`` from its interior, as ``F.pad`` would."""
    p, height, width = pad, buffer.shape[-2] - 2 * pad, buffer.shape[-1] - 2 * pad
    cols = slice(p, p + width)
    if mode == "reflect":
        buffer[..., :p, cols] = buffer[..., p + 1 : 2 * p + 1, cols].flip(-2)
        buffer[..., p + height :, cols] = buffer[..., height - 1 : height + p - 1, cols].flip(-2)
        buffer[..., :, :p] = buffer[..., :, p + 1 : 2 * p + 1].flip(-1)
        buffer[..., :, p + width :] = buffer[..., :, width - 1 : width + p - 1].flip(-1)
    else:  # replicate
        buffer[..., :p, cols] = buffer[..., p : p + 1, cols]
        buffer[..., p + height :, cols] = buffer[..., p + height - 1 : p + height, cols]
        buffer[..., :, :p] = buffer[..., :, p : p + 1]
        buffer[..., :, p + width :] = buffer[..., :, p + width - 1 : p + width]


def _finish(y: torch.Tensor, relu: bool, add: torch.Tensor | None, padding: tuple[str, int] | None) -> torch.Tensor:
    """``relu(y) + add`` (either optional), written into a buffer padded for the next layer when
    ``padding`` is given: one pass over the activation where ReLU, sum and padding took three."""
    height, width = y.shape[-2:]
    if padding is None or padding[0] == "reflect" and padding[1] >= min(height, width):
        y = y.relu_() if relu else y
        y = y.add_(add) if add is not None else y
        # F.pad refuses a reflection as wide as the picture, as the plain path does
        return y if padding is None else pad_in_dtype(y, (padding[1],) * 4, padding[0])
    mode, p = padding
    layout = torch.channels_last if y.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    buffer = torch.empty((*y.shape[:-2], height + 2 * p, width + 2 * p), dtype=y.dtype, device=y.device, memory_format=layout)
    inside = buffer[..., p : p + height, p : p + width]
    if relu and add is not None:
        torch.add(y.relu_(), add, out=inside)
    elif add is not None:
        torch.add(y, add, out=inside)
    elif relu:
        torch.clamp_min(y, 0.0, out=inside)
    else:
        inside.copy_(y)
    _fill_border(buffer, p, mode)
    return buffer


def _norm(norm: nn.Module, y: torch.Tensor) -> torch.Tensor:
    """``norm(y)``. An :class:`InstanceNorm` in normal mode runs as group norm with one channel
    per group: the same maths in one kernel with one-pass statistics, about 5 % of a 1024 px pass
    faster than the batch-norm form (recording and replaying statistics keep the module's own code)."""
    if isinstance(norm, InstanceNorm) and norm.mode == "normal" and y.shape[-2] * y.shape[-1] > 1:
        return F.group_norm(y, y.shape[1], norm.weight, norm.bias, norm.eps)
    return norm(y)


def _unit(unit: ConvNormAct, padded: torch.Tensor, after: tuple[str, int] | None, add: torch.Tensor | None = None) -> torch.Tensor:
    """One ConvNormAct on an input already padded for it."""
    y = _norm(unit[2], unit[1](padded))
    return _finish(y, len(unit) > 3, add, after)


def fused_forward(layers: list[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """``nn.Sequential(*layers)(x)`` for inference, fused where it can be (see :mod:`artgan.nn.fastpath`).

    :class:`ConvNormAct`, :class:`ResidualBlock` and resize or bilinear :class:`Upsample` layers write their
    output into the padded buffer the next layer reads (its :class:`ReflectionPad` or replicate
    padding done on the way), with ReLU and the residual sum in the same pass; resize
    upsampling is one transposed convolution (:func:`_transposed_kernel`). Activations are kept
    channels-last, oneDNN's fastest float32 layout. Other layers run as they are.
    """
    x = x.contiguous(memory_format=torch.channels_last)
    needs = [_input_padding(layer) for layer in layers] + [None]
    h = pad_in_dtype(x, (needs[0][1],) * 4, needs[0][0]) if needs[0] else x
    for index, layer in enumerate(layers):
        after, padding = needs[index + 1], needs[index]
        if isinstance(layer, ReflectionPad) and padding is not None:
            continue  # the layer before wrote its output padded
        if isinstance(layer, ResidualBlock):
            p = padding[1]
            skip = h[..., p : h.shape[-2] - p, p : h.shape[-1] - p]
            middle = _unit(layer.body[0], h, _input_padding(layer.body[1]))
            h = _unit(layer.body[1], middle, after, add=skip)
        elif isinstance(layer, ConvNormAct):
            h = _unit(layer, h, after)
        elif isinstance(layer, Upsample) and layer.kind != "transpose":
            conv, rest = layer[1][1], list(layer[1])[2:]
            kernel = _transposed_kernel(conv.weight, layer.kind).contiguous(memory_format=torch.channels_last)
            y = F.conv_transpose2d(h, kernel, conv.bias, stride=2, padding=_transposed_taps(layer.kind)[1])
            relu = bool(rest) and isinstance(rest[-1], nn.ReLU)
            for norm in rest[:-1] if relu else rest:
                y = _norm(norm, y)
            h = _finish(y, relu, None, after)
        else:
            h = layer(h)
            if after is not None:  # a layer the fused path does not know, before one that pads
                h = pad_in_dtype(h, (after[1],) * 4, after[0])
    return h
