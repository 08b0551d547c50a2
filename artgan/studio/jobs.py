"""One queue and one worker: every piece of heavy work the page asks for runs here, in turn.

Running a verb, decoding an upload and encoding a download all go through :class:`Worker`,
so however many tabs ask at once, the machine does one thing at a time and never holds two
jobs' pictures in memory together. A job reports where it stands (queued with N ahead,
loading the model, running with the verb's own progress, done, failed) for the page to poll.
A user's mistake fails the job with the command line's message; a bug fails it with the
exception's type and message, logged with its traceback.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from artgan.errors import ArtganError

log = logging.getLogger("artgan")
_OUT_OF_MEMORY = ("ran out of memory; ask for less at a time (a smaller size, fewer images, a lower batch size) "
                  "or use a machine with more memory")


@dataclass
class Job:
    """A unit of work and where it stands; ``work(job)`` returns what the page gets back."""

    id: str  # "j1", "j2", ... in the order they were asked for
    what: str  # one line for the page ("stylize with plugin.tag")
    work: Callable[[Job], Any]
    status: str = "queued"  # queued, running, done, failed
    stage: str = ""  # what a running job is doing ("loading the model", "running")
    done: int = 0  # progress the work reported: done of total (0 of 0: no figure)
    total: int = 0
    result: Any = None  # what work returned, for a job that is done
    error: str | None = None  # the message, for a job that failed
    queued_at: float = field(default_factory=time.monotonic)
    seconds: float | None = None  # how long the work itself took

    def progress(self, done: int, total: int) -> None:
        """Where long work stands (a verb's ``model.progress`` lands here)."""
        self.done, self.total = int(done), int(total)


class Worker:
    """Runs jobs one at a time on a thread of its own, in the order they were submitted."""

    def __init__(self, keep: int = 200) -> None:
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []  # job ids, oldest first
        self._keep = keep  # finished jobs remembered for polling
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="artgan-studio-worker", daemon=True)
        self._thread.start()

    def submit(self, what: str, work: Callable[[Job], Any]) -> Job:
        """Queue ``work``; the job comes back at once, to be polled with :meth:`get`."""
        with self._lock:
            job = Job(f"j{next(self._ids)}", what, work)
            self._jobs[job.id] = job
            self._order.append(job.id)
            self._forget_old()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise ArtganError(f"no job {job_id!r} (the studio remembers the last {self._keep})")
            return self._jobs[job_id]

    def ahead(self, job: Job) -> int:
        """How many jobs will run before ``job`` starts (0 once it runs)."""
        with self._lock:
            if job.status != "queued":
                return 0
            earlier = self._order[: self._order.index(job.id)]
            return sum(1 for i in earlier if self._jobs[i].status in ("queued", "running"))

    def state(self, job: Job) -> dict[str, Any]:
        """What the page polls: the job's standing, progress and result or error."""
        return {"id": job.id, "what": job.what, "status": job.status, "stage": job.stage, "ahead": self.ahead(job),
                "done": job.done, "total": job.total, "error": job.error, "seconds": job.seconds,
                "result": job.result if job.status == "done" else None}

    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Block until ``job`` is done or failed (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while job.status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.02)
        return job

    def close(self) -> None:
        """Stop after the job now running; queued jobs are dropped."""
        self._queue.put(None)

    def _forget_old(self) -> None:
        finished = [i for i in self._order if self._jobs[i].status in ("done", "failed")]
        for job_id in finished[: max(0, len(self._order) - self._keep)]:
            self._order.remove(job_id)
            del self._jobs[job_id]

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._run(job)

    def _run(self, job: Job) -> None:
        job.status, started = "running", time.monotonic()
        try:
            result = job.work(job)
            job.result, job.seconds, job.status = result, round(time.monotonic() - started, 3), "done"
        except ArtganError as exc:
            job.error, job.status = " ".join(str(exc).split()), "failed"
        except MemoryError:
            job.error, job.status = _OUT_OF_MEMORY, "failed"
        except Exception as exc:  # a bug in a plugin or here: the page says so, the log has the traceback
            if _is_out_of_memory(exc):
                job.error = f"{_OUT_OF_MEMORY} ({str(exc).splitlines()[0][:200]})"
            else:
                log.exception("studio: %s failed", job.what)
                job.error = f"internal error ({type(exc).__name__}: {exc}); the terminal running the studio has the details"
            job.status = "failed"
        if job.seconds is None:
            job.seconds = round(time.monotonic() - started, 3)


def _is_out_of_memory(exc: BaseException) -> bool:
    """An allocator's failure (CPU or CUDA), told apart without importing torch."""
    text = str(exc)
    return type(exc).__name__ == "OutOfMemoryError" or "can't allocate memory" in text or "out of memory" in text
