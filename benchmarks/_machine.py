"""The CPU facts every benchmark prints first, so a figure always says what it was measured on.

The same facts the precision policy decides on (:mod:`artgan.engine.hardware`): the CPU model,
whether it has AVX2, AVX-512, AVX-512 bf16 and AMX, the kernels torch dispatches to, and the
threads torch (and so oneDNN) uses. Read from ``/proc/cpuinfo`` where artgan's own probe is not
importable, so a benchmark also runs against an older checkout.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import torch

FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def _from_cpuinfo() -> tuple[str, set[str]]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or platform.machine(), set()
    name, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "model name" and not name:
            name = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    return name, flags


def machine() -> dict[str, Any]:
    """JSON-ready facts of this CPU and of torch's use of it."""
    try:
        from artgan.engine.hardware import cpu_facts

        facts = cpu_facts()
        name, flags = facts.name, set(facts.flags)
    except ImportError:  # a checkout before the hardware probe
        name, flags = _from_cpuinfo()
    try:
        capability = str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        capability = "unknown"
    try:
        onednn_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        onednn_bf16 = False
    return {
        "cpu": name,
        "flags": {flag: flag in flags for flag in FLAGS},
        "torch": torch.__version__,
        "torch_cpu_capability": capability,
        "onednn_bf16_kernels": onednn_bf16,
        "torch_threads": torch.get_num_threads(),
        "cpus_visible": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def describe(facts: dict[str, Any]) -> str:
    """One line: ``AMD EPYC: AVX2 yes, AVX-512 no, AVX-512 bf16 no, AMX no; torch 2.x (AVX2 kernels), 2 threads``."""
    f = facts["flags"]
    yes = {True: "yes", False: "no"}
    return (f"{facts['cpu']}: AVX2 {yes[f['avx2']]}, AVX-512 {yes[f['avx512f']]}, AVX-512 bf16 {yes[f['avx512_bf16']]}, "
            f"AMX {yes[f['amx_bf16']]}; torch {facts['torch']} ({facts['torch_cpu_capability']} kernels, oneDNN bf16 "
            f"{'available' if facts['onednn_bf16_kernels'] else 'absent'}), {facts['torch_threads']} threads of "
            f"{facts['cpus_visible']} CPUs; load average {facts['load_average_1min']} at the start")
