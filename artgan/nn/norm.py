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
            mean, var = self.recorded
        else:
            var, mean = torch.var_mean(x.float(), dim=(2, 3), keepdim=True, correction=0)
            if self.mode == "record":
                self.recorded = (mean, var)
        out = (x.float() - mean) * torch.rsqrt(var + self.eps)
        if self.weight is not None:
            out = out * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)
        return out.to(x.dtype)


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
