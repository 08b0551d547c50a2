"""Where and how computation runs: device, precision and data-parallel processes.

``auto`` picks CUDA, then Apple's MPS, then the CPU; naming a device that is not there is an
error, never a silent fallback. Under ``torchrun`` (``WORLD_SIZE`` > 1) each process joins
one process group (NCCL on GPUs, gloo on CPUs) and drives one device.

Precision, for training and inference alike, is decided here and only here
(:func:`choose_precision`), from the device's facts (:mod:`.hardware`) and the plugin's
preference: bf16 only where the hardware runs it natively, fp16 with loss scaling on CUDA
GPUs that have fast fp16 but no bf16, fp32 otherwise; an explicit choice wins.

Data parallelism averages gradients with one all-reduce per optimisation phase, as
StyleGAN2-ADA does (``training/training_loop.py``), instead of wrapping nets in
``DistributedDataParallel``: a GAN phase runs networks whose weights it does not train
(G inside the D phase, D inside the G phase), which DDP's per-module gradient hooks do not
expect.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from artgan.engine import hardware
from artgan.errors import ArtganError

log = logging.getLogger("artgan")


@dataclass(frozen=True)
class Runtime:
    """The device, precision and process-group facts one training or inference run uses."""

    device: torch.device
    precision: str = "fp32"  # fp32 | bf16 | fp16, already resolved from "auto"
    rank: int = 0
    world_size: int = 1
    channels_last: bool = False
    precision_reason: str = ""  # why this precision (see choose_precision)

    @property
    def is_main(self) -> bool:
        """True on the process that writes logs, grids and checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def amp_dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed-precision context for forward passes (a no-op in fp32)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def to_device(self, value: Any) -> Any:
        """Move a batch (tensors in tuples, lists or dicts) to the device."""
        if isinstance(value, torch.Tensor):
            value = value.to(self.device, non_blocking=True)
            if self.channels_last and value.dim() == 4:
                value = value.contiguous(memory_format=torch.channels_last)
            return value
        if isinstance(value, (list, tuple)):
            return type(value)(self.to_device(v) for v in value)
        if isinstance(value, dict):
            return {k: self.to_device(v) for k, v in value.items()}
        return value


def select_device(name: str = "auto", *, local_rank: int = 0) -> torch.device:
    """Turn ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` into an available device."""
    name = (name or "auto").strip().lower()
    mps = getattr(torch.backends, "mps", None)
    mps_ok = bool(mps and mps.is_available())
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        return torch.device("mps") if mps_ok else torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ArtganError(f"--device {name}: not a device; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ArtganError(f"--device {name}: no CUDA GPU is available here; use --device cpu or auto")
        index = device.index if device.index is not None else local_rank
        if index >= torch.cuda.device_count():
            raise ArtganError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
        return torch.device("cuda", index)
    if device.type == "mps" and not mps_ok:
        raise ArtganError(f"--device {name}: Apple MPS is not available here; use --device cpu or auto")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ArtganError(f"--device {name}: unsupported device type; use auto, cpu, cuda or mps")
    return device


@dataclass(frozen=True)
class PrecisionChoice:
    """The precision a run uses, why, and a warning when it will be slow."""

    precision: str  # fp32 | bf16 | fp16
    reason: str  # e.g. "AVX2 only: bf16 would be emulated; fp32"
    warning: str | None = None  # set when an explicit choice runs slowly on this device


def choose_precision(requested: str, device: torch.device, preferred: str = "fp32", *,
                     training: bool = True) -> PrecisionChoice:
    """The one precision policy, for training and inference alike.

    ``auto`` with a plugin that prefers ``bf16`` (measured faster for its networks) takes the
    device's fast mixed precision: bf16 where it runs natively (a CPU with AVX-512 bf16 or
    AMX, a CUDA GPU of compute capability 8.0 or later), fp16 on CUDA 7.x (training adds a
    loss scaler), fp32 everywhere else, above all on AVX2-only CPUs where bf16 is emulated and
    several times slower. A plugin that prefers ``fp32`` gets fp32. An explicit precision
    wins; a slow one comes with a warning, an impossible one is an error.
    """
    if requested not in ("auto", "fp32", "bf16", "fp16"):
        raise ArtganError(f"unknown precision {requested!r}; use auto, fp32, bf16 or fp16")
    facts = hardware.device_facts(device)
    if requested == "auto":
        if preferred != "bf16":
            return PrecisionChoice("fp32", "the model does not ask for bf16; fp32")
        return _fast_precision(facts, training)
    if requested == "fp16" and device.type != "cuda":
        raise ArtganError("precision fp16 needs a CUDA GPU; use bf16 or fp32 on this device")
    if requested == "bf16" and device.type == "mps":
        raise ArtganError("precision bf16 is not supported on MPS; use fp32")
    warning = None
    if requested == "bf16" and not facts.bf16_native:
        faster = "precision=fp32 (or auto, which picks fp32 here)" if facts.type == "cpu" else "precision=auto or fp32"
        warning = (f"precision bf16 on this {'CPU' if facts.type == 'cpu' else 'GPU'} ({_why_not_bf16(facts)}) is "
                   f"emulated and runs several times slower than fp32; {faster} is faster")
    elif requested == "fp16" and not (facts.fp16_fast or facts.bf16_native or facts.hip):
        warning = (f"precision fp16 on {facts.name} has no fast half-precision maths (that needs compute capability "
                   "7.0); precision=fp32 is as fast")
    return PrecisionChoice(requested, f"{requested} as requested", warning)


def _fast_precision(facts: hardware.DeviceFacts, training: bool) -> PrecisionChoice:
    """What ``auto`` picks on ``facts`` for a model that prefers bf16."""
    if facts.type == "cpu":
        if facts.bf16_native:
            have = " and ".join(label for label, flag in (("AVX-512 bf16", "avx512_bf16"), ("AMX", "amx_bf16"))
                                if flag in facts.flags)
            return PrecisionChoice("bf16", f"{have}: bf16 runs natively; bf16")
        return PrecisionChoice("fp32", f"{_why_not_bf16(facts)}: bf16 would be emulated; fp32")
    if facts.type == "cuda":
        cc = f"compute capability {facts.cuda_capability[0]}.{facts.cuda_capability[1]}" if facts.cuda_capability else "ROCm"
        if facts.bf16_native:
            return PrecisionChoice("bf16", f"{cc}: bf16 runs natively; bf16")
        if facts.fp16_fast:
            scaled = " with loss scaling" if training else ""
            return PrecisionChoice("fp16", f"{cc}: no native bf16, fast fp16; fp16{scaled}")
        return PrecisionChoice("fp32", f"{cc}: no fast half precision; fp32")
    return PrecisionChoice("fp32", f"{facts.type.upper()}: no bf16 there; fp32")


def _why_not_bf16(facts: hardware.DeviceFacts) -> str:
    if facts.type == "cuda":
        cc = facts.cuda_capability
        return f"compute capability {cc[0]}.{cc[1]}, bf16 needs 8.0" if cc else "no native bf16"
    if any(flag in facts.flags for flag in hardware.NATIVE_BF16_FLAGS):
        return "oneDNN has no bf16 kernels in this torch"
    if "avx512f" in facts.flags:
        return "AVX-512 without avx512_bf16 or AMX"
    if "avx2" in facts.flags:
        return "AVX2 only"
    return "no AVX-512 bf16 or AMX"


def resolve_precision(requested: str, device: torch.device, preferred: str = "fp32") -> str:
    """Turn ``auto`` into fp32/bf16/fp16 for ``device`` (:func:`choose_precision`); refuse what
    the device cannot do."""
    return choose_precision(requested, device, preferred).precision


def inference_precision(requested: str, preferred: str, device: torch.device) -> str:
    """Precision for inference (:func:`choose_precision` with the plugin's ``inference_precision``);
    logs the warning of a slow explicit choice."""
    choice = choose_precision(requested, device, preferred, training=False)
    if choice.warning:
        log.warning("%s", choice.warning)
    return choice.precision


def start(device: str = "auto", precision: str = "auto", channels_last: bool = False, *,
          preferred: str = "fp32") -> Runtime:
    """Create the runtime, joining the ``torchrun`` process group when there is one.

    ``precision`` is settled by :func:`choose_precision` with the plugin's ``preferred``
    precision; rank 0 logs the warning of a slow explicit choice.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    chosen = select_device(device, local_rank=local_rank)
    choice = choose_precision(precision, chosen, preferred)  # before the process group: a refusal leaves nothing behind
    if world_size > 1 and not dist.is_initialized():
        # torch._dynamo, first imported lazily by torch.optim, keeps references to the default
        # process group when it is imported after the group exists; the group then outlives
        # destroy_process_group() and its gloo threads can abort the process at exit
        # ("terminate called without an active exception"). Importing it first avoids that.
        import torch._dynamo  # noqa: F401
        backend = "nccl" if chosen.type == "cuda" else "gloo"
        if chosen.type == "cuda":
            torch.cuda.set_device(chosen)
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=30))
    if choice.warning and (rank == 0 or world_size == 1):
        log.warning("%s", choice.warning)
    return Runtime(
        device=chosen,
        precision=choice.precision,
        rank=rank if world_size > 1 else 0,
        world_size=world_size,
        channels_last=channels_last,
        precision_reason=choice.reason,
    )


def stop(runtime: Runtime) -> None:
    """Leave the process group, if this runtime joined one."""
    if runtime.distributed and dist.is_initialized():
        dist.destroy_process_group()


# --------------------------------------------------------------------------- collectives
def broadcast_parameters(modules: Iterable[torch.nn.Module]) -> None:
    """Give every process rank 0's weights and buffers."""
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, src=0)


def average_gradients(params: list[torch.nn.Parameter], world_size: int,
                      extra: torch.Tensor | None = None) -> torch.Tensor | None:
    """All-reduce the gradients of ``params`` in one flat buffer and divide by the world size.

    A scalar ``extra`` (e.g. the loss) rides along in the same buffer; its average across
    processes is returned (None without one).
    """
    params = [p for p in params if p.requires_grad]
    parts = [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params]
    if extra is not None:
        dtype = parts[0].dtype if parts else torch.float32
        parts.append(extra.detach().reshape(1).to(dtype))
    if not parts:
        return None
    flat = torch.cat(parts)
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for p in params:
        count = p.numel()
        p.grad = flat[offset : offset + count].view_as(p).clone()
        offset += count
    return flat[offset].clone() if extra is not None else None


def any_process(flag: bool, runtime: Runtime) -> bool:
    """True if ``flag`` is true on any process (so all stop at the same step)."""
    if not runtime.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=runtime.device)
    dist.all_reduce(value)
    return bool(value.item() > 0)


def gather(obj: Any, runtime: Runtime) -> list[Any]:
    """Every process's ``obj``, in rank order (a one-item list without a process group)."""
    if not runtime.distributed:
        return [obj]
    out: list[Any] = [None] * runtime.world_size
    dist.all_gather_object(out, obj)
    return out
