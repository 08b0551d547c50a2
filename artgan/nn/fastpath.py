"""When float32 CPU inference takes the fused path of :func:`artgan.nn.blocks.fused_forward`.

On CPUs without native bf16 (AVX2-only laptops and servers) a picture is translated in float32,
and at 1024 px much of a pass is memory traffic: a 16-channel full-resolution activation is
64 MB, and every separate pad, ReLU, residual add and pixel shuffle reads and writes it once
more. The fused path writes each layer's output straight into the padded buffer the next layer
reads, and runs the resize upsampling as one transposed convolution at the input's resolution.
The maths is the same; only float32 rounding differs (at most one 8-bit level in a stylized
picture). Measured on an AMD EPYC (Zen 2, AVX2 only, 2 threads), a shipped style at 1024 px:
1.02 s → 0.85 s per image (``benchmarks/bench_stylize_speed.py``, median of 7, interleaved).

It is taken only where it is safe: a float32 CPU tensor, no autograd (inference), no autocast
(bf16 keeps its own path), and not while tracing, scripting or compiling (exported graphs keep
the plain operators). ``ENABLED = False`` switches it off (benchmarks compare the two).
"""

from __future__ import annotations

import torch

#: Set to False to run the plain module-by-module path everywhere.
ENABLED = True


def _autocast_on() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch before 2.4
        return torch.is_autocast_cpu_enabled()


def _exporting() -> bool:
    compiling = getattr(getattr(torch, "compiler", None), "is_compiling", None)
    return torch.jit.is_tracing() or torch.jit.is_scripting() or bool(compiling and compiling())


def active(x: torch.Tensor, *params: torch.Tensor | None) -> bool:
    """Whether a network given ``x`` (with parameters ``params``) takes the fused float32 CPU path."""
    if not ENABLED or x.device.type != "cpu" or x.dtype != torch.float32:
        return False
    if torch.is_grad_enabled() and (x.requires_grad or any(p is not None and p.requires_grad for p in params)):
        return False
    return not _autocast_on() and not _exporting()
