"""Every file artgan writes goes through here: atomically, and never over an existing file
unless asked.

A write goes to a hidden sibling first, is flushed to disk and moved into place, so a kill
at any moment leaves either the old file or the new one, never half of one. Without
``overwrite`` the move is a hard link, which fails if the name exists at that very moment,
so two processes writing one name cannot silently replace each other's work. Several files
of one output are all checked before the first is written, so a refusal costs nothing;
where the folder cannot take the files (read-only, not a folder, no permission) that is
said before any work. A failed write (disk full, quota) is an :class:`ArtganError` that names
the file, and leaves nothing behind.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from artgan.errors import ArtganError

#: What to do about an OS error on writing, by errno.
_REMEDIES = {
    errno.ENOSPC: "the disk is full; free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
    errno.EFBIG: "the file is too large for this file system; write elsewhere",
    errno.EROFS: "the file system is read-only; choose another -o",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "permission denied; choose a folder you can write to",
    errno.ENOTDIR: "a parent of it is a file, not a folder; choose another -o",
    errno.EISDIR: "it is a folder; choose a file name",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter one",
}


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` beside ``path`` and move it into place, so readers never see half a file.

    With ``overwrite=False`` an existing file is never replaced, even one that appeared a
    moment ago (the move is a hard link, which refuses an existing name).
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except FileExistsError:
        raise ArtganError(f"{path} exists (it appeared while artgan was working); pass --overwrite or choose another -o") from None
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _link_new(tmp: str, path: Path) -> None:
    """Give ``tmp``'s content the name ``path``, failing with FileExistsError if it is taken."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:  # a file system without hard links (FAT, some network mounts)
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.name == "nt":
            os.rename(tmp, path)  # refuses an existing name on Windows
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # claim the name, then fill it
            os.close(fd)
            os.replace(tmp, path)


def write_error(path: str | os.PathLike, exc: OSError) -> ArtganError:
    """An OS error on writing ``path`` as a one-line error with a remedy."""
    remedy = _REMEDIES.get(exc.errno or 0, exc.strerror or str(exc))
    return ArtganError(f"cannot write {path}: {remedy}")


def check_writable(paths: list[Path]) -> None:
    """Refuse, before any work, outputs whose folder cannot take them: a parent that is a file,
    a folder that is read-only or not ours to write."""
    for folder in dict.fromkeys(Path(p).parent for p in paths):
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise ArtganError(f"cannot write into {folder}: {existing} is a file, not a folder; choose another -o")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ArtganError(f"cannot write into {folder}: {_why_not_writable(existing)}; choose another -o")


def _why_not_writable(folder: Path) -> str:
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):
        read_only = False
    return "the file system is read-only" if read_only else "permission denied"


def refuse_existing(paths: list[Path], overwrite: bool) -> None:
    """Raise if any of ``paths`` exists (or is a folder where a file must go) and ``overwrite`` is off."""
    for path in paths:
        if path.is_dir():
            raise ArtganError(f"{path} is a folder; choose a file name for -o")
        if path.exists() and not overwrite:
            raise ArtganError(f"{path} exists; pass --overwrite to replace it or choose another -o")


def write_files(files: Mapping[Path, bytes], *, overwrite: bool = False) -> list[Path]:
    """Write every ``path: bytes`` atomically after checking that none would be overwritten;
    if one cannot be written, the ones this call wrote are removed again."""
    paths = list(files)
    refuse_existing(paths, overwrite)
    check_writable(paths)
    written: list[Path] = []
    try:
        for path, data in files.items():
            existed = path.exists()
            write_bytes_atomic(path, data, overwrite=overwrite)
            if not existed:
                written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return paths


def provenance(**items: object) -> dict[str, str]:
    """Provenance as the strings file formats store; items that are None are left out."""
    return {key: str(value) for key, value in items.items() if value is not None}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
