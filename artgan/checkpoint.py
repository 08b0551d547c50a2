"""Checkpoint directories: save, find, load and export, with atomic writes.

A checkpoint is a directory that describes itself::

    config.json          format, plugin and versions, model and train config, step
    model.safetensors    weights as "<role>/<param>" and EMA weights as "ema/<role>/<param>"
    training_state.pt    optimizers, counters, RNG (training runs only; weights_only load)

A training run keeps its checkpoints under ``RUN/checkpoints/step-NNNNNNN`` and names the
newest in ``RUN/checkpoints/latest``. Every write goes to a hidden sibling first and is
renamed into place, so a kill at any moment leaves the previous checkpoint loadable.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgan.errors import ArtganError
from artgan.files import write_bytes_atomic

if TYPE_CHECKING:
    import torch

FORMAT = "artgan-checkpoint"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "training_state.pt"
CHECKPOINTS_DIR = "checkpoints"
LATEST_FILE = "latest"
_STEP_DIR = re.compile(r"^step-(\d+)$")


@dataclass
class Checkpoint:
    """A checkpoint directory on disk; weights are read only when asked for."""

    path: Path
    meta: dict[str, Any] = field(repr=False)

    @property
    def plugin(self) -> str:
        return self.meta["plugin"]

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))

    def read_weights(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, dict[str, torch.Tensor]]]:
        """State dicts by role: ``(trained, ema)``; ``ema`` is empty if the run kept none."""
        from safetensors.torch import load_file

        file = self.path / WEIGHTS_FILE
        try:
            flat = load_file(str(file))
        except FileNotFoundError:
            raise ArtganError(f"{self.path}: checkpoint has no {WEIGHTS_FILE}") from None
        except Exception as exc:
            raise ArtganError(f"{file}: unreadable weights ({exc}); the file is damaged") from None
        trained: dict[str, dict[str, torch.Tensor]] = {}
        ema: dict[str, dict[str, torch.Tensor]] = {}
        for key, tensor in flat.items():
            parts = key.split("/", 2)
            if parts[0] == "ema" and len(parts) == 3:
                ema.setdefault(parts[1], {})[parts[2]] = tensor
            else:
                trained.setdefault(parts[0], {})[parts[1]] = tensor
        return trained, ema

    def inference_weights(self) -> dict[str, dict[str, torch.Tensor]]:
        """State dicts by role, the EMA copy standing in for its role where one was kept."""
        trained, ema = self.read_weights()
        return {**trained, **ema}

    def training_state(self) -> dict[str, Any]:
        """The optimizer/counter/RNG state of a training checkpoint."""
        import torch

        file = self.path / STATE_FILE
        if not file.exists():
            raise ArtganError(f"{self.path}: an exported checkpoint cannot be resumed (no {STATE_FILE})")
        try:
            return torch.load(file, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ArtganError(f"{file}: unreadable training state ({exc})") from None


# --------------------------------------------------------------------------- finding
def find_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """The checkpoint at ``path``: a checkpoint directory, or a run directory's newest one."""
    path = Path(path)
    if not path.exists():
        raise ArtganError(f"{path}: no such checkpoint or run directory")
    if (path / CONFIG_FILE).is_file():
        return load_meta(path)
    latest = latest_checkpoint_dir(path)
    if latest is None:
        raise ArtganError(f"{path}: neither a checkpoint (no {CONFIG_FILE}) nor a run with checkpoints")
    return load_meta(latest)


def latest_checkpoint_dir(run: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint of a run directory, or None."""
    folder = Path(run) / CHECKPOINTS_DIR
    pointer = folder / LATEST_FILE
    if pointer.is_file():
        candidate = folder / pointer.read_text().strip()
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    steps = sorted(
        (int(m.group(1)), p) for p in folder.glob("step-*")
        if (m := _STEP_DIR.match(p.name)) and (p / CONFIG_FILE).is_file()
    ) if folder.is_dir() else []
    return steps[-1][1] if steps else None


def load_meta(path: Path) -> Checkpoint:
    """Read and check a checkpoint's ``config.json``."""
    try:
        meta = json.loads((path / CONFIG_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtganError(f"{path / CONFIG_FILE}: unreadable ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ArtganError(f"{path}: not an artgan checkpoint ({CONFIG_FILE} has no format {FORMAT!r})")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise ArtganError(
            f"{path}: written by a newer artgan (checkpoint format {meta['format_version']}); upgrade artgan"
        )
    return Checkpoint(path=path, meta=meta)


# --------------------------------------------------------------------------- saving
def save_checkpoint(
    directory: str | os.PathLike,
    meta: dict[str, Any],
    weights: dict[str, dict[str, torch.Tensor]],
    ema: dict[str, dict[str, torch.Tensor]] | None = None,
    training_state: dict[str, Any] | None = None,
    *,
    dtype: torch.dtype | None = None,
) -> Path:
    """Write a checkpoint directory atomically and return its path.

    ``meta`` becomes ``config.json`` (format fields and a timestamp are added); ``dtype``
    casts floating-point weights (e.g. ``torch.float16`` for a shipped preset).
    """
    import torch
    from safetensors.torch import save_file

    directory = Path(directory)
    flat: dict[str, torch.Tensor] = {}
    for prefix, groups in (("", weights), ("ema/", ema or {})):
        for role, state in groups.items():
            for name, tensor in state.items():
                tensor = tensor.detach().to("cpu", copy=True).contiguous()
                if dtype is not None and tensor.is_floating_point():
                    tensor = tensor.to(dtype)
                flat[f"{prefix}{role}/{name}"] = tensor
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "ema_roles": sorted((ema or {}).keys()),
        "dtype": str(dtype or "as trained").removeprefix("torch."),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    tmp = directory.with_name(f".tmp-{directory.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_file(flat, str(tmp / WEIGHTS_FILE))
        meta["sha256"] = sha256_file(tmp / WEIGHTS_FILE)
        if training_state is not None:
            torch.save(training_state, tmp / STATE_FILE)
        (tmp / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        mode = (tmp / CONFIG_FILE).stat().st_mode & 0o777  # what the umask allows; safetensors writes 0600
        for file in tmp.iterdir():
            file.chmod(mode)
            _fsync(file)
        _replace_dir(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def save_run_checkpoint(run: str | os.PathLike, step: int, keep: int, **kwargs: Any) -> Path:
    """Save ``RUN/checkpoints/step-N``, point ``latest`` at it and prune to ``keep``."""
    folder = Path(run) / CHECKPOINTS_DIR
    target = save_checkpoint(folder / f"step-{step:07d}", **kwargs)
    write_bytes_atomic(folder / LATEST_FILE, f"{target.name}\n".encode())
    steps = sorted(p for p in folder.glob("step-*") if _STEP_DIR.match(p.name))
    for old in steps[:-keep]:
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in folder.glob(".tmp-*"):
        if not leftover.name.endswith(f"-{os.getpid()}"):
            shutil.rmtree(leftover, ignore_errors=True)
    return target


def export_checkpoint(source: Checkpoint, roles: tuple[str, ...], target: str | os.PathLike, *, dtype: torch.dtype | None = None) -> Path:
    """Write an inference-only copy of ``source``: the ``roles`` (EMA weights where kept)."""
    trained, ema = source.read_weights()
    weights = {**trained, **ema}
    missing = [r for r in roles if r not in weights]
    if missing:
        raise ArtganError(f"{source.path}: has no weights for {', '.join(missing)}")
    meta = {k: v for k, v in source.meta.items() if k not in ("format", "format_version", "ema_roles", "dtype", "created", "sha256")}
    meta.update(kind="export", exported_from=str(source.path), roles=list(roles),
                weights={r: "ema" if r in ema else "trained" for r in roles})
    return save_checkpoint(target, meta, {r: weights[r] for r in roles}, dtype=dtype)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an existing ``target`` is swapped out, then removed."""
    if target.exists():
        trash = target.with_name(f".tmp-old-{target.name}-{os.getpid()}")
        os.replace(target, trash)
        os.replace(new, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(new, target)
    _fsync(target.parent)


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
