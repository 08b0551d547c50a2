"""How much memory a job may use, and a check that refuses a job before it allocates.

A user-sized job (a huge image, a checkpoint whose config asks for a 40 GB network, a
grid of 64 pictures of 4096²) should end with a message that says what needs how much and
how to get under the limit, not with the allocator killing the process halfway. Callers
estimate the bytes they are about to need and call :func:`check_fits` first.

The limit is the memory the machine has available now: ``MemAvailable`` from
``/proc/meminfo`` (capped by the cgroup limit of a container), else ``os.sysconf``; on a
CUDA device, the free device memory plus what PyTorch's caching allocator holds unused.
``ARTGAN_MEMORY_LIMIT`` (``"2GB"``, ``"512MiB"``, ``"1.5e9"``) replaces the figure for the
host's memory and caps a device's: for users who know better, and for tests that simulate a
small machine. This module never imports torch unless it is asked about a CUDA device or
to measure networks.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from artgan.errors import ArtganError

#: Environment variable that sets the memory limit (bytes, or a number with a unit).
ENV = "ARTGAN_MEMORY_LIMIT"

_UNITS = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


def parse_bytes(text: str) -> int:
    """``"2GB"``, ``"512 MiB"``, ``"1.5e9"`` → bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*", str(text).lower())
    if match is None or match.group(2) not in _UNITS:
        raise ArtganError(f"{ENV}={text!r}: give a size such as 2GB, 512MiB or a number of bytes")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def format_bytes(count: float) -> str:
    """A byte count for people: ``1.5 GB``, ``12 MB``, ``800 B``."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{int(count)} B"


def _is_cuda(device: Any) -> bool:
    return device is not None and str(getattr(device, "type", device)).split(":")[0] == "cuda"


def available_bytes(device: Any = None) -> int | None:
    """Bytes this process may still allocate on ``device`` (None or ``"cpu"``: host memory),
    or None when the machine does not say."""
    override = os.environ.get(ENV, "").strip()
    limit = parse_bytes(override) if override else None
    if _is_cuda(device):
        free = _cuda_free(device)
        if free is None:
            return limit
        return free if limit is None else min(free, limit)
    return limit if limit is not None else _host_available()


def _host_available() -> int | None:
    """Available host memory: MemAvailable (or free pages), capped by a cgroup limit."""
    found: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        found = None
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            found = None
    group = _cgroup_available()
    if group is not None:
        found = group if found is None else min(found, group)
    return found


def _cgroup_available() -> int | None:
    """What a container's cgroup (v2, else v1) still lets this process use, page cache counted as free."""
    for limit_file, usage_file, stat_file, cache_key in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory.stat", "inactive_file"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes",
         "/sys/fs/cgroup/memory/memory.stat", "total_inactive_file"),
    ):
        try:
            text = Path(limit_file).read_text().strip()
            if text == "max":
                return None
            limit, usage = int(text), int(Path(usage_file).read_text())
        except (OSError, ValueError):
            continue
        if limit >= 2**60:  # v1 writes "no limit" as a huge number
            return None
        cache = 0
        try:
            for line in Path(stat_file).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == cache_key:
                    cache = int(value)
        except (OSError, ValueError):
            pass
        return max(0, limit - usage + cache)
    return None


def _cuda_free(device: Any) -> int | None:
    import torch

    try:
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    except (RuntimeError, AssertionError, ValueError):
        return None
    return int(free + max(0, cached))


def check_fits(bytes_needed: float, what: str, remedy: str, device: Any = None) -> None:
    """Refuse (an :class:`ArtganError`) a job that needs more than :func:`available_bytes`.

    ``what`` names the job (``"generating 64 images of 4096×4096"``), ``remedy`` says how to
    get under the limit; the message adds how much is needed and how much there is.
    """
    limit = available_bytes(device)
    if limit is None or bytes_needed <= limit:
        return
    override = os.environ.get(ENV, "").strip()
    if override and limit == parse_bytes(override):
        where, note = f"the limit {ENV} sets", ""
    else:
        where = f"free on {device}" if _is_cuda(device) else "available on this machine"
        note = "" if _is_cuda(device) else f" (or set {ENV}, e.g. {ENV}=16GB, if that figure is wrong)"
    raise ArtganError(
        f"{what} needs about {format_bytes(bytes_needed)} of memory, but only {format_bytes(limit)} is {where}; "
        f"{remedy}{note}"
    )


# --------------------------------------------------------------------------- networks
def network_bytes(build: Callable[[], Mapping[str, Any]]) -> dict[str, tuple[int, int]] | None:
    """``{role: (parameter bytes, buffer bytes)}`` of the networks ``build()`` returns, measured
    by building them on the meta device (no memory is allocated, no random number drawn);
    None when ``build`` cannot run there (then nothing is known in advance)."""
    import torch

    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"), _imports_on_host():
            nets = build()
        sizes = {}
        for role, net in dict(nets).items():
            params = sum(p.numel() * p.element_size() for p in net.parameters())
            buffers = sum(b.numel() * b.element_size() for b in net.buffers())
            sizes[str(role)] = (int(params), int(buffers))
    except Exception:  # noqa: BLE001 - a build that needs real tensors: no estimate, the real build decides
        return None
    return sizes


@contextlib.contextmanager
def _imports_on_host() -> Iterator[None]:
    """Within the block, a module imported (by an import statement) runs its top level on the
    host device: a build that imports its model's module for the first time must not leave
    that module's constant tensors on the meta device."""
    import torch

    real = builtins.__import__
    busy = threading.local()  # entering the device context imports too: no recursion

    def host_import(*args: Any, **kwargs: Any) -> Any:
        if getattr(busy, "on", False):
            return real(*args, **kwargs)
        busy.on = True
        context = torch.device("cpu")
        context.__enter__()
        busy.on = False
        try:
            return real(*args, **kwargs)
        finally:
            busy.on = True
            try:
                context.__exit__(None, None, None)
            finally:
                busy.on = False

    builtins.__import__ = host_import
    try:
        yield
    finally:
        builtins.__import__ = real


def check_networks(
    build: Callable[[], Mapping[str, Any]],
    what: str,
    remedy: str,
    device: Any = None,
    *,
    resident: Iterable[str] | None = None,
    trained: Iterable[str] = (),
    ema: Iterable[str] = (),
    loaded: Iterable[str] = (),
) -> dict[str, tuple[int, int]] | None:
    """Refuse networks that cannot fit before any is allocated; return their sizes (see :func:`network_bytes`).

    Every network is built on the host; the ``resident`` ones (default: all) then live on
    ``device``. ``trained`` roles also need gradients and two Adam moments (×4 their
    parameters), ``ema`` roles an averaged copy, and ``loaded`` roles a copy of their weights
    read from a checkpoint (on the host).
    """
    sizes = network_bytes(build)
    if sizes is None:
        return None
    trained, ema, loaded = set(trained), set(ema), set(loaded)
    resident = set(sizes) if resident is None else set(resident)
    built = sum(p + b for p, b in sizes.values())
    read = sum(p + b for role, (p, b) in sizes.items() if role in loaded)
    extra = sum(3 * p * (role in trained) + p * (role in ema) for role, (p, _) in sizes.items() if role in resident)
    on_device = sum(p + b for role, (p, b) in sizes.items() if role in resident) + extra
    if device is None or str(getattr(device, "type", device)).split(":")[0] in ("cpu", "mps"):
        check_fits(built + read + extra, what, remedy)
    else:
        check_fits(built + read, what, remedy)
        check_fits(on_device, what, remedy, device=device)
    return sizes

