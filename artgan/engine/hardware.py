"""What the hardware can do fast: the facts the precision policy (:mod:`.runtime`) decides on.

A CPU runs bfloat16 natively only with AVX-512 bf16 (``avx512_bf16``) or AMX (``amx_bf16``);
elsewhere (AVX2-only laptops and servers) oneDNN emulates it and a bf16 network runs several
times slower than in float32. A CUDA GPU runs bf16 natively from compute capability 8.0
(Ampere); 7.x (Volta, Turing) has fast fp16 tensor cores but no bf16. The facts come from
``/proc/cpuinfo`` where it exists, from torch's own CPU probe (``torch.cpu.get_capabilities``
on recent torch, ``torch.backends.cpu.get_cpu_capability``) and from the CUDA runtime.

Tests fake a machine by replacing :func:`device_facts` (the policy reads it through this module).
"""

from __future__ import annotations

import functools
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

#: The CPU flags that matter for precision, in /proc/cpuinfo's spelling.
CPU_FLAGS: tuple[str, ...] = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
#: CPU flags that mean bf16 matrix maths in hardware.
NATIVE_BF16_FLAGS: tuple[str, ...] = ("avx512_bf16", "amx_bf16")
#: torch.cpu.get_capabilities() spells some flags differently.
_TORCH_SPELLING = {"avx512_f": "avx512f"}


@dataclass(frozen=True)
class DeviceFacts:
    """One device as the precision policy sees it."""

    type: str  # "cpu", "cuda" or "mps"
    name: str  # the CPU model or the GPU's name
    flags: tuple[str, ...] = ()  # CPU: which of CPU_FLAGS it has
    torch_capability: str = ""  # CPU: the kernels torch dispatches to ("AVX2", "AVX512", "DEFAULT", ...)
    onednn_bf16: bool = False  # CPU: whether oneDNN offers bf16 kernels here (native or emulated)
    cuda_capability: tuple[int, int] | None = None  # CUDA: compute capability (major, minor)
    hip: bool = False  # an AMD GPU through ROCm (its capability numbers mean something else)
    bf16_native: bool = False  # bf16 runs in hardware, so it is the fast path
    fp16_fast: bool = False  # fp16 tensor cores without bf16 (CUDA 7.x): fp16 with loss scaling is the fast path

    def as_dict(self) -> dict[str, object]:
        """JSON-ready facts (``artgan info --json``)."""
        out: dict[str, object] = {"type": self.type, "name": self.name, "bf16_native": self.bf16_native}
        if self.type == "cpu":
            out.update(flags={f: f in self.flags for f in CPU_FLAGS}, torch_capability=self.torch_capability,
                       onednn_bf16=self.onednn_bf16)
        if self.type == "cuda":
            out.update(capability=".".join(map(str, self.cuda_capability)) if self.cuda_capability else None,
                       hip=self.hip, fp16_fast=self.fp16_fast)
        return out


def device_facts(device: torch.device) -> DeviceFacts:
    """The facts of ``device`` (a CPU, a CUDA GPU or Apple's MPS)."""
    if device.type == "cuda":
        return _cuda_facts(device.index if device.index is not None else torch.cuda.current_device())
    if device.type == "mps":
        return DeviceFacts(type="mps", name="Apple MPS")
    return cpu_facts()


@functools.lru_cache(maxsize=1)
def cpu_facts() -> DeviceFacts:
    """This machine's CPU (probed once per process)."""
    name, flags = _proc_cpuinfo(Path("/proc/cpuinfo"))
    caps = _torch_cpu_capabilities()
    flags |= {_TORCH_SPELLING.get(k, k) for k, v in caps.items() if v is True} & set(CPU_FLAGS)
    name = name or str(caps.get("cpu_name") or "") or platform.processor() or platform.machine() or "unknown CPU"
    try:
        capability = str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        capability = ""
    try:
        onednn_bf16 = bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch without the probe
        onednn_bf16 = False
    native = onednn_bf16 and any(flag in flags for flag in NATIVE_BF16_FLAGS)
    return DeviceFacts(type="cpu", name=name, flags=tuple(f for f in CPU_FLAGS if f in flags), torch_capability=capability,
                       onednn_bf16=onednn_bf16, bf16_native=native)


def _proc_cpuinfo(path: Path) -> tuple[str, set[str]]:
    """The model name and the relevant flags /proc/cpuinfo lists (empty where it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "", set()
    name, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "model name" and not name:
            name = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split()) & set(CPU_FLAGS)
    return name, flags


def _torch_cpu_capabilities() -> dict[str, object]:
    """torch's own CPU probe (torch ≥ 2.9); empty on older torch."""
    probe = getattr(getattr(torch, "cpu", None), "get_capabilities", None)
    if probe is None:
        return {}
    try:
        return dict(probe())
    except (RuntimeError, TypeError, ValueError):
        return {}


def _cuda_facts(index: int) -> DeviceFacts:
    name = torch.cuda.get_device_name(index)
    hip = bool(getattr(torch.version, "hip", None))
    if hip:  # ROCm: ask the runtime, without counting emulation
        try:
            native = bool(torch.cuda.is_bf16_supported(including_emulation=False))
        except TypeError:  # older torch has no including_emulation
            native = bool(torch.cuda.is_bf16_supported())
        return DeviceFacts(type="cuda", name=name, hip=True, bf16_native=native)
    major, minor = torch.cuda.get_device_capability(index)
    # torch.cuda.is_bf16_supported() also says yes where bf16 is emulated (7.x), so decide by capability
    return DeviceFacts(type="cuda", name=name, cuda_capability=(major, minor), bf16_native=major >= 8,
                       fp16_fast=major == 7)
