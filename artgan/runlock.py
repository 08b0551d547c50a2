"""One training at a time per run directory: an exclusive lock held for the whole run.

Two ``artgan train`` on one ``--out`` (or a ``--resume`` of a run that is still training)
would write each other's checkpoints, so the second is refused. The lock is
``RUN/.artgan.lock``, held with ``fcntl.flock``: the operating system releases it when its
holder exits, however it dies, so a lock file left behind by a killed run is not a lock.
The file holds the holder's pid and host, for the refusal's message.

Where ``fcntl`` is missing (Windows) the file is created exclusively instead, and a file
whose holder (same host) is no longer alive counts as stale and is taken over.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import logging
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from artgan.errors import ArtganError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("artgan")

LOCK_FILE = ".artgan.lock"


class RunLock:
    """Hold ``RUN/.artgan.lock`` exclusively between ``__enter__`` and ``__exit__``.

    Entering creates the run directory if needed (and removes it again on exit if it is
    still empty, so a refused or failed start leaves nothing behind); a lock held by a live
    process raises :class:`ArtganError` naming the run, the holder and what to do.
    """

    def __init__(self, run: str | os.PathLike) -> None:
        self.run = Path(run)
        self.path = self.run / LOCK_FILE
        self._fd: int | None = None
        self._created = False
        self._token = ""

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    # ------------------------------------------------------------------ taking and giving back
    def acquire(self) -> None:
        """Take the lock or raise ArtganError if another live process holds it."""
        self._created = not self.run.exists()
        try:
            self.run.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArtganError(f"{self.run}: cannot create the run folder ({exc}); choose another --out") from None
        self._token = json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": _dt.datetime.now().isoformat(timespec="seconds"),
        })
        try:
            if fcntl is not None:
                self._acquire_flock()
            else:
                self._acquire_exclusive()
        except BaseException:
            self._remove_created_folder()
            raise

    def release(self) -> None:
        """Give the lock back (remove the lock file, then unlock) and tidy a folder left empty."""
        if fcntl is not None:
            if self._fd is None:
                return
            try:
                if _same_file(self._fd, self.path):
                    self.path.unlink()
            except OSError:
                pass
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        else:
            if not self._token:
                return
            try:
                if self.path.read_text() == self._token:
                    self.path.unlink()
            except OSError:
                pass
        self._token = ""
        self._remove_created_folder()

    def _acquire_flock(self) -> None:
        waits = 0
        for _ in range(100):  # each retry means a holder let go of the file just now
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_holder(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):  # no locks on this file system
                    log.warning("cannot lock %s (%s); make sure no other training uses %s", self.path, exc, self.run)
                    return
                if _dead_here(holder) and waits < 25:  # its data-loading workers may hold it a moment longer
                    waits += 1
                    time.sleep(0.2)
                    continue
                raise self._refusal(holder) from None
            if not _same_file(fd, self.path):  # the previous holder removed it as we opened it
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, self._token.encode())
            self._fd = fd
            return
        raise ArtganError(f"{self.run}: could not take the run's lock {self.path}; try again")

    def _acquire_exclusive(self) -> None:
        for _ in range(100):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                if _dead_here(_parse_holder(_read_text(self.path))):
                    try:  # stale: its holder died without giving it back
                        self.path.unlink()
                    except FileNotFoundError:
                        pass
                    continue
                raise self._refusal(_parse_holder(_read_text(self.path)), stale_hint=True) from None
            with os.fdopen(fd, "w") as handle:
                handle.write(self._token)
            return
        raise ArtganError(f"{self.run}: could not take the run's lock {self.path}; try again")

    def _refusal(self, holder: dict | None, stale_hint: bool = False) -> ArtganError:
        if holder:
            who = f"process {holder.get('pid', '?')} on {holder.get('host', '?')}"
            if holder.get("since"):
                who += f", since {holder['since']}"
        else:
            who = "another process"
        hint = f"; if no training of it runs any more, delete {self.path}" if stale_hint else ""
        return ArtganError(
            f"{self.run} is in use by another training ({who}): wait for it to finish or stop it "
            f"(Ctrl-C saves a checkpoint), then continue with --resume; or choose another --out{hint}"
        )

    def _remove_created_folder(self) -> None:
        if self._created:
            self._created = False
            try:
                self.run.rmdir()  # only if still empty
            except OSError:
                pass


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _read_holder(fd: int) -> dict | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return _parse_holder(os.read(fd, 4096).decode("utf-8", "replace"))
    except OSError:
        return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _parse_holder(text: str) -> dict | None:
    try:
        holder = json.loads(text)
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def _dead_here(holder: dict | None) -> bool:
    """Whether ``holder`` names a process of this host that no longer runs."""
    return holder is not None and holder.get("host") == socket.gethostname() and not _pid_alive(holder.get("pid"))


def _pid_alive(pid: object) -> bool:
    """Whether process ``pid`` of this host still runs (unknown counts as alive)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    if os.name == "nt":  # os.kill would terminate the process there
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. permission denied: it exists
        return True
    return True
