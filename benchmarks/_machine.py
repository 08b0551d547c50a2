"""The CPU facts every benchmark prints first, so a figure always says what it was measured on.

The same facts the precision policy decides on (:func:`artgan.engine.hardware.cpu_facts`): the
CPU model, whether it has AVX2, AVX-512, AVX-512 bf16 and AMX, whether oneDNN has bf16 kernels,
the kernels torch dispatches to, and the threads torch (and so oneDNN) uses.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from artgan.engine.hardware import CPU_FLAGS, cpu_facts


def machine() -> dict[str, Any]:
    """JSON-ready facts of this CPU and of torch's use of it."""
    facts = cpu_facts()
    try:
        capability = str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        capability = "unknown"
    return {
        "cpu": facts.name,
        "flags": {flag: flag in facts.flags for flag in CPU_FLAGS},
        "torch": torch.__version__,
        "torch_cpu_capability": capability,
        "onednn_bf16_kernels": facts.onednn_bf16,
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
