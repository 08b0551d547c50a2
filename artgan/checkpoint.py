"""Checkpoint directories: save, find, load and export, with atomic writes.

A checkpoint is a directory that describes itself::

    config.json          format, plugin and versions, model and train config, step
    model.safetensors    weights as "<role>/<param>" and EMA weights as "ema/<role>/<param>"
    training_state.pt    optimizers, counters, RNG (training runs only; weights_only load)

A training run keeps its checkpoints under ``RUN/checkpoints/step-NNNNNNN`` and names the
newest in ``RUN/checkpoints/latest``. Every write goes to a hidden sibling first and is
renamed into place, so a kill at any moment leaves the previous checkpoint loadable.

``config.json`` records the sha256 of ``model.safetensors`` (and of ``training_state.pt``);
both are checked before the weights are used. A damaged checkpoint given by path is an
error; a run directory falls back to its newest intact checkpoint, with a warning. A new
checkpoint is read back and checked before older ones are pruned.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
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

log = logging.getLogger("artgan")

FORMAT = "artgan-checkpoint"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "training_state.pt"
MODEL_CARD = "MODEL_CARD.md"  # a model's card, written by hand beside its weights; an export keeps it
CHECKPOINTS_DIR = "checkpoints"
LATEST_FILE = "latest"
_STEP_DIR = re.compile(r"step-(\d+)")  # used with fullmatch
WEIGHTS_HASH = "sha256"  # config.json key: the sha256 of model.safetensors
STATE_HASH = "training_state_sha256"  # config.json key: the sha256 of training_state.pt


class DamagedCheckpoint(ArtganError):
    """A checkpoint whose files are missing, unreadable or not what its config.json records."""


def _damaged(path: Path, problem: str) -> DamagedCheckpoint:
    return DamagedCheckpoint(f"damaged checkpoint: {path}: {problem}")


@dataclass
class Checkpoint:
    """A checkpoint directory on disk; weights are read (and checked) only when asked for."""

    path: Path
    meta: dict[str, Any] = field(repr=False)

    @property
    def plugin(self) -> str:
        value = self.meta.get("plugin") if isinstance(self.meta, dict) else None
        if not isinstance(value, str) or not value:
            raise _damaged(self.path, f"{CONFIG_FILE} names no plugin")
        return value

    @property
    def step(self) -> int:
        value = self.meta.get("step", 0) if isinstance(self.meta, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _damaged(self.path, f"{CONFIG_FILE} has step {value!r}, not a whole number ≥ 0")
        return value

    @property
    def is_training(self) -> bool:
        """Whether this is a training run's checkpoint (one that can be resumed)."""
        return self.meta.get("kind") == "training"

    def verify(self, *, state: bool = False) -> None:
        """Raise :class:`DamagedCheckpoint` unless the weights (and, with ``state``, the
        training state) match the sha256 recorded in ``config.json``.

        Checkpoints written before a hash was recorded pass unchecked. Hashes are cached by
        file identity, so a later :meth:`read_weights` does not read the file twice.
        """
        self._check_file(WEIGHTS_FILE, WEIGHTS_HASH)
        if state and ((self.path / STATE_FILE).exists() or self.is_training):
            self._check_file(STATE_FILE, STATE_HASH)

    def _check_file(self, name: str, key: str) -> Path:
        file = self.path / name
        if not file.is_file():
            raise _damaged(self.path, f"{name} is missing")
        expected = self.meta.get(key)
        if expected is None:
            return file
        try:
            digest = sha256_file(file)
        except OSError as exc:
            raise _damaged(self.path, f"{name} cannot be read ({exc})") from None
        if digest != expected:
            raise _damaged(
                self.path,
                f"{name} sha256 mismatch (the file hashes to {digest[:12]}…, {CONFIG_FILE} records "
                f"{str(expected)[:12]}…): it changed after it was written; use an older checkpoint or retrain",
            )
        return file

    def read_weights(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, dict[str, torch.Tensor]]]:
        """State dicts by role: ``(trained, ema)``; ``ema`` is empty if the run kept none.

        The file is checked against its recorded sha256 first: damaged weights would
        otherwise load silently (as NaNs or noise).
        """
        from safetensors.torch import load_file

        file = self._check_file(WEIGHTS_FILE, WEIGHTS_HASH)
        try:
            flat = load_file(str(file))
        except Exception as exc:
            raise _damaged(self.path, f"{WEIGHTS_FILE} is unreadable ({exc})") from None
        trained: dict[str, dict[str, torch.Tensor]] = {}
        ema: dict[str, dict[str, torch.Tensor]] = {}
        for key, tensor in flat.items():
            parts = key.split("/", 2)
            if parts[0] == "ema" and len(parts) == 3:
                ema.setdefault(parts[1], {})[parts[2]] = tensor
            elif len(parts) >= 2:
                trained.setdefault(parts[0], {})["/".join(parts[1:])] = tensor
            else:
                raise _damaged(self.path, f"{WEIGHTS_FILE} holds {key!r}, not a ROLE/NAME weight")
        return trained, ema

    def inference_weights(self) -> dict[str, dict[str, torch.Tensor]]:
        """State dicts by role, the EMA copy standing in for its role where one was kept."""
        trained, ema = self.read_weights()
        return {**trained, **ema}

    def training_state(self) -> dict[str, Any]:
        """The optimizer/counter/RNG state of a training checkpoint (checked against its sha256)."""
        import torch

        if not (self.path / STATE_FILE).exists() and not self.is_training:
            raise ArtganError(f"{self.path}: an exported checkpoint cannot be resumed (no {STATE_FILE})")
        file = self._check_file(STATE_FILE, STATE_HASH)
        try:
            state = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise _damaged(self.path, f"{STATE_FILE} is unreadable ({exc})") from None
        if not isinstance(state, dict):
            raise _damaged(self.path, f"{STATE_FILE} holds a {type(state).__name__}, not the training state")
        return state


# --------------------------------------------------------------------------- finding
def find_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """The checkpoint at ``path``: a checkpoint directory, or a run directory's newest intact one."""
    path = Path(path)
    if not path.exists():
        raise ArtganError(f"{path}: no such checkpoint or run directory")
    if (path / CONFIG_FILE).is_file():
        return load_meta(path)
    found = run_checkpoint(path)
    if found is None:
        raise ArtganError(f"{path}: neither a checkpoint (no {CONFIG_FILE}) nor a run with checkpoints")
    return found


def run_checkpoint(run: str | os.PathLike, *, resumable: bool = False) -> Checkpoint | None:
    """The newest intact checkpoint of a run directory, or None if it has none.

    Candidates are tried newest first (the one ``latest`` names, then step-* folders); a
    damaged one is skipped with a warning that names it. With ``resumable`` the training
    state is checked too. If every checkpoint is damaged, the newest one's damage is raised.
    """
    damaged: list[DamagedCheckpoint] = []
    for folder in _candidates(Path(run)):
        try:
            checkpoint = load_meta(folder)
            checkpoint.verify(state=resumable)
        except DamagedCheckpoint as exc:
            damaged.append(exc)
            continue
        for exc in damaged:
            log.warning("%s; using the older checkpoint %s instead", exc, checkpoint.path)
        return checkpoint
    if damaged:
        raise DamagedCheckpoint(f"{damaged[0]}; {run} has no intact older checkpoint to fall back to")
    return None


def latest_checkpoint_dir(run: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint folder of a run directory (unchecked), or None."""
    candidates = _candidates(Path(run))
    return candidates[0] if candidates else None


def _candidates(run: Path) -> list[Path]:
    """The run's checkpoint folders, newest first: the one ``latest`` names, then by step.

    ``latest`` counts only if it holds a plain ``step-N`` name of a checkpoint inside this
    run's checkpoints folder; anything else (``../elsewhere``, an absolute path) is ignored
    with a warning. A step-* entry that leads out of the folder (a symlink) is ignored too.
    """
    folder = run / CHECKPOINTS_DIR
    if not folder.is_dir():
        return []
    home = folder.resolve()

    def inside(candidate: Path) -> bool:
        return candidate.resolve().parent == home and (candidate / CONFIG_FILE).is_file()

    steps = sorted(
        ((int(m.group(1)), p) for p in folder.glob("step-*") if (m := _STEP_DIR.fullmatch(p.name)) and inside(p)),
        reverse=True,
    )
    found = [p for _, p in steps]
    pointer = folder / LATEST_FILE
    if pointer.is_file():
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            name = "(unreadable)"
        candidate = folder / name
        if _STEP_DIR.fullmatch(name) and candidate in found:
            found.remove(candidate)
            found.insert(0, candidate)
        elif _STEP_DIR.fullmatch(name):
            log.warning("%s names %s, which is missing or incomplete; using the newest step-* checkpoint instead", pointer, name)
        else:
            log.warning("%s names %r, which is not a checkpoint of this run; using the newest step-* checkpoint instead",
                        pointer, name[:200])
    return found


def load_meta(path: Path) -> Checkpoint:
    """Read and check a checkpoint's ``config.json``: valid JSON, an object, with the fields
    the rest of artgan relies on, of the right types (else :class:`DamagedCheckpoint`)."""
    path = Path(path)
    file = path / CONFIG_FILE
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtganError(f"{path}: not a checkpoint (no {CONFIG_FILE})") from None
    except OSError as exc:
        raise ArtganError(f"{file}: unreadable ({exc})") from None
    except UnicodeDecodeError:
        raise _damaged(path, f"{CONFIG_FILE} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _damaged(path, f"{CONFIG_FILE} is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise _damaged(path, f"{CONFIG_FILE} holds a JSON {type(meta).__name__}, not an object")
    if meta.get("format") != FORMAT:
        raise _damaged(path, f"{CONFIG_FILE} has no format {FORMAT!r}: not an artgan checkpoint, or a damaged one")
    version = meta.get("format_version", 0)
    if not _is_int(version):
        raise _damaged(path, f"{CONFIG_FILE} has format_version {version!r}, not a whole number")
    if version > FORMAT_VERSION:
        raise ArtganError(f"{path}: written by a newer artgan (checkpoint format {version}); upgrade artgan")
    expected: dict[str, tuple[type, ...]] = {"plugin": (str,), "model_config": (dict,)}
    if meta.get("kind") == "training":
        expected["train_config"] = (dict,)
    for key, types in expected.items():
        if key not in meta:
            raise _damaged(path, f"{CONFIG_FILE} has no {key!r}")
        if not isinstance(meta[key], types):
            raise _damaged(path, f"{CONFIG_FILE} has {key} {_short(meta[key])}, not {_kind(types)}")
    optional: dict[str, tuple[type, ...]] = {
        "train_config": (dict,), WEIGHTS_HASH: (str,), STATE_HASH: (str,), "kind": (str,), "data": (str, dict),
    }
    for key, types in optional.items():
        if key in meta and not isinstance(meta[key], types):
            raise _damaged(path, f"{CONFIG_FILE} has {key} {_short(meta[key])}, not {_kind(types)}")
    for key in ("step", "world_size"):
        if key in meta and not (_is_int(meta[key]) and meta[key] >= 0):
            raise _damaged(path, f"{CONFIG_FILE} has {key} {_short(meta[key])}, not a whole number ≥ 0")
    return Checkpoint(path=path, meta=meta)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(types: tuple[type, ...]) -> str:
    names = {str: "text", dict: "an object", int: "a whole number"}
    return " or ".join(names.get(t, t.__name__) for t in types)


# --------------------------------------------------------------------------- saving
def save_checkpoint(
    directory: str | os.PathLike,
    meta: dict[str, Any],
    weights: dict[str, dict[str, torch.Tensor]],
    ema: dict[str, dict[str, torch.Tensor]] | None = None,
    training_state: dict[str, Any] | None = None,
    *,
    dtype: torch.dtype | None = None,
    keep: tuple[str, ...] = (),
) -> Path:
    """Write a checkpoint directory atomically and return its path.

    ``meta`` becomes ``config.json`` (format fields and a timestamp are added); ``dtype``
    casts floating-point weights (e.g. ``torch.float16`` for a shipped preset). Files named in
    ``keep`` that the directory already holds are carried into the new one before it replaces
    the old, so they are never missing (a model card beside re-exported weights).
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
        for name in keep:
            if (directory / name).is_file():
                shutil.copy2(directory / name, tmp / name)
        save_file(flat, str(tmp / WEIGHTS_FILE))
        meta[WEIGHTS_HASH] = sha256_file(tmp / WEIGHTS_FILE)
        if training_state is not None:
            torch.save(training_state, tmp / STATE_FILE)
            meta[STATE_HASH] = sha256_file(tmp / STATE_FILE)
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
    """Save ``RUN/checkpoints/step-N``, check it reads back intact, point ``latest`` at it
    and prune older checkpoints to ``keep`` in all.

    Pruning touches only checkpoints older than the new one, and only once the new one is
    verified: a damaged write raises with the older checkpoints (and ``latest``) untouched.
    """
    folder = Path(run) / CHECKPOINTS_DIR
    target = save_checkpoint(folder / f"step-{step:07d}", **kwargs)
    try:
        load_meta(target).verify(state=True)
    except DamagedCheckpoint as exc:
        raise DamagedCheckpoint(
            f"{exc} (right after it was written: is the disk failing or full?); the older checkpoints are kept"
        ) from None
    write_bytes_atomic(folder / LATEST_FILE, f"{target.name}\n".encode())
    older = sorted(
        (int(m.group(1)), p) for p in folder.glob("step-*")
        if (m := _STEP_DIR.fullmatch(p.name)) and int(m.group(1)) < step
    )
    for _, old in older[: max(len(older) - (keep - 1), 0)]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in folder.glob(".tmp-*"):
        if not leftover.name.endswith(f"-{os.getpid()}"):
            shutil.rmtree(leftover, ignore_errors=True)
    return target


def export_checkpoint(source: Checkpoint, roles: tuple[str, ...], target: str | os.PathLike, *, dtype: torch.dtype | None = None) -> Path:
    """Write an inference-only copy of ``source``: the ``roles`` (EMA weights where kept). A
    :data:`MODEL_CARD` already in ``target`` is kept: re-exporting replaces weights and config,
    not the card written about them."""
    trained, ema = source.read_weights()
    weights = {**trained, **ema}
    missing = [r for r in roles if r not in weights]
    if missing:
        raise ArtganError(f"{source.path}: has no weights for {', '.join(missing)}")
    meta = {k: v for k, v in source.meta.items() if k not in ("format", "format_version", "ema_roles", "dtype", "created", WEIGHTS_HASH, STATE_HASH)}
    meta.update(kind="export", exported_from=str(source.path), roles=list(roles),
                weights={r: "ema" if r in ema else "trained" for r in roles})
    return save_checkpoint(target, meta, {r: weights[r] for r in roles}, dtype=dtype, keep=(MODEL_CARD,))


#: sha256 of files already hashed by this process, keyed by the file's identity and state.
_HASHES: dict[tuple[Any, ...], str] = {}


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks.

    Remembered per file (path, inode, size, modification and change times), so one load
    that checks a file twice (a preset, then its weights) reads it once.
    """
    before = os.stat(path)
    key = (os.path.abspath(path), before.st_dev, before.st_ino, before.st_size, before.st_mtime_ns, before.st_ctime_ns)
    if key in _HASHES:
        return _HASHES[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    value = digest.hexdigest()
    after = os.stat(path)
    if (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == key[3:]:  # unchanged while read
        if len(_HASHES) >= 256:
            _HASHES.clear()
        _HASHES[key] = value
    return value


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
