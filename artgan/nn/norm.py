"""Instance normalisation whose statistics can be recorded once and replayed on tiles.

Instance norm normalises each image by its own per-channel mean and variance. Run tile by
tile on a large image, every tile would be normalised differently and the seams would
show. :func:`norm_statistics` lets inference record the statistics on one pass over the
whole (possibly downscaled) image and replay them on every tile, so all tiles are treated
as parts of one picture. In normal use it is plain ``nn.InstanceNorm2d(affine=True)`` and
its weights load from one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn


class InstanceNorm(nn.Module):
    """Per-image, per-channel normalisation with a learned scale and shift."""

    def __init__(self, channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(channels)) if affine else None
        self.mode = "normal"  # normal | record | replay
        self.recorded: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "replay":
            if self.recorded is None:
                raise RuntimeError("InstanceNorm: nothing recorded to replay")
            return self._normalise(x, *self.recorded)
        if self.mode == "normal" and torch.jit.is_tracing():
            # traced for export (ONNX, TorchScript): the batch size and the picture's size stay
            # symbolic, so no branch on them; ONNX has InstanceNormalization for exactly this maths
            return F.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)
        if self.mode == "normal" and x.shape[0] == 1 and x.shape[2] * x.shape[3] > 1:
            # One image: instance norm is batch norm over (H, W), and the fused batch-norm
            # kernel is several times faster than the same maths written out (bf16 and
            # channels-last included). Batch 1 is the usual case: CycleGAN trains with it
            # and inference runs one picture or tile at a time. (Batch norm refuses a
            # single value per channel, so 1×1 maps take the general path.)
            return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        var, mean = torch.var_mean(x.float(), dim=(2, 3), keepdim=True, correction=0)
        if self.mode == "record":
            self.recorded = (mean, var)
        return self._normalise(x, mean, var)

    def _normalise(self, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        """``(x - mean) / sqrt(var + eps) * weight + bias`` with given statistics."""
        if mean.shape[0] == 1:  # one set of statistics for the batch: the fused kernel again
            return F.batch_norm(x, mean.flatten(), var.flatten(), self.weight, self.bias, False, 0.0, self.eps)
        scale = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            scale = scale * self.weight.view(1, -1, 1, 1)
        shift = -mean * scale
        if self.bias is not None:
            shift = shift + self.bias.view(1, -1, 1, 1)
        return (x.float() * scale + shift).to(x.dtype)


@contextlib.contextmanager
def norm_statistics(modules: list[nn.Module] | nn.Module, mode: str) -> Iterator[None]:
    """Within the block, every :class:`InstanceNorm` in ``modules`` records or replays.

    ``record`` keeps the statistics of the next forward pass; ``replay`` uses them. The
    recorded statistics stay until the next ``record``.
    """
    if mode not in ("record", "replay"):
        raise ValueError(f"mode must be record or replay, not {mode!r}")
    modules = modules if isinstance(modules, list) else [modules]
    norms = [m for module in modules for m in module.modules() if isinstance(m, InstanceNorm)]
    for norm in norms:
        norm.mode = mode
    try:
        yield
    finally:
        for norm in norms:
            norm.mode = "normal"
