"""Every file artgan writes goes through here: atomically, and never over an existing file
unless asked.

A write goes to a hidden sibling first, is flushed to disk and renamed into place, so a kill
at any moment leaves either the old file or the new one, never half of one. Several files
of one output are all checked before the first is written, so a refusal costs nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from artgan.errors import ArtganError


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` beside ``path`` and rename it into place, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refuse_existing(paths: list[Path], overwrite: bool) -> None:
    """Raise if any of ``paths`` exists (or is a folder where a file must go) and ``overwrite`` is off."""
    for path in paths:
        if path.is_dir():
            raise ArtganError(f"{path} is a folder; choose a file name for -o")
        if path.exists() and not overwrite:
            raise ArtganError(f"{path} exists; pass --overwrite to replace it or choose another -o")


def write_files(files: Mapping[Path, bytes], *, overwrite: bool = False) -> list[Path]:
    """Write every ``path: bytes`` atomically after checking that none would be overwritten."""
    paths = list(files)
    refuse_existing(paths, overwrite)
    for path, data in files.items():
        write_bytes_atomic(path, data)
    return paths


def provenance(**items: object) -> dict[str, str]:
    """Provenance as the strings file formats store; items that are None are left out."""
    return {key: str(value) for key, value in items.items() if value is not None}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
