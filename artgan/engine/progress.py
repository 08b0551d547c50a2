"""What a training run reports: a progress bar, a JSON-lines stats log, stop requests."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

log = logging.getLogger("artgan")


class StatsLog:
    """Appends one JSON object per line to ``stats.jsonl`` (resumed runs keep appending)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            with open(self.path, "a") as handle:
                handle.write(json.dumps(record) + "\n")


class Progress:
    """A tqdm bar with steps/s, ETA and the latest losses; silent when disabled.

    A bar that can no longer be drawn (the terminal was closed: writes fail with EIO)
    switches itself off instead of ending the run.
    """

    def __init__(self, total: int, initial: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, desc="training")

    def advance(self, steps: int = 1) -> None:
        if self.bar is not None:
            self._draw(self.bar.update, steps)

    def show(self, values: dict[str, float]) -> None:
        if self.bar is not None:
            self._draw(self.bar.set_postfix, {k: f"{v:.3g}" for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            bar, self.bar = self.bar, None
            try:
                bar.close()
            except (OSError, ValueError):
                pass

    def _draw(self, method: Any, *args: Any, **kwargs: Any) -> None:
        try:
            method(*args, **kwargs)
        except (OSError, ValueError):  # EIO on a closed terminal, or a closed stream
            bar, self.bar = self.bar, None
            bar.disable = True  # so tqdm's own close() and __del__ write nothing more


#: The signals that ask a run to save and stop: Ctrl-C, SIGTERM, and SIGHUP (the terminal was
#: closed or the ssh connection dropped) where the platform has it.
STOP_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class StopRequest:
    """Turns the first Ctrl-C (or SIGTERM, or SIGHUP) into a request to stop after the
    current step.

    The loop then writes a checkpoint and returns; a second Ctrl-C aborts at once. Only an
    ``announce``-ing instance (rank 0's) says so, since every process gets the signal.
    """

    def __init__(self, announce: bool = True) -> None:
        self.requested = False
        self.announce = announce
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        first = not self.requested
        self.requested = True
        if self.announce and first:
            hup = getattr(signal, "SIGHUP", None)
            why = "the terminal was closed (SIGHUP): " if hup is not None and signum == hup else ""
            log.warning("%sstopping after this step and saving a checkpoint (press Ctrl-C again to abort without one)", why)


class Timer:
    """Wall time of a run across resumes."""

    def __init__(self, already: float = 0.0) -> None:
        self.already = already
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return self.already + time.perf_counter() - self.started


#: Timed steps (after the first, warm-up step) the ETA line waits for.
ETA_AFTER_STEPS = 3


class Eta:
    """Logs once, early, how long the rest of the run will take at the speed measured so far.

    The first step of a run (or of a resumed run) is warm-up (allocations, oneDNN kernel
    choice, data caches) and is left out: the clock starts when it ends, and after
    ``after`` more steps one line says the time per step and the time left, e.g.
    ``about 5.2 s/step: 5996 more of 6000 steps ≈ 8 h 40 min (fp32 on cpu)``. With a time
    limit (``limit_s``, counted from the call's start) that ends the call first, the line says
    so: ``... ≈ 8 h 40 min; the 10 min limit stops it at about step 118``. The progress bar
    keeps its own running ETA.
    """

    def __init__(self, start: int, total: int, what: str, enabled: bool = True, after: int = ETA_AFTER_STEPS,
                 limit_s: float = 0.0) -> None:
        self.start, self.total, self.what, self.after, self.limit_s = start, total, what, after, limit_s
        self.enabled = enabled and total - start > 1 + after  # a line only where steps are left to estimate
        self.clock: float | None = None
        self.called = time.perf_counter()

    def step_done(self, step: int) -> None:
        """Call after each step with the number of steps now done."""
        if not self.enabled:
            return
        if step <= self.start + 1:  # the warm-up step
            self.clock = time.perf_counter()
            return
        timed = step - self.start - 1
        if self.clock is None or timed < self.after:
            return
        self.enabled = False
        per_step = (time.perf_counter() - self.clock) / timed
        left = self.total - step
        line = f"about {format_step_time(per_step)}/step: {left} more of {self.total} steps ≈ {format_duration(per_step * left)}"
        remaining = self.limit_s - (time.perf_counter() - self.called)
        if self.limit_s and remaining < per_step * left:
            line += f"; the {format_duration(self.limit_s)} limit stops it at about step {step + max(0, int(remaining / per_step))}"
        log.info("%s (%s)", line, self.what)


def format_step_time(seconds: float) -> str:
    """``5.2 s``, ``38 ms``, ``0.41 ms``: a step's time, to two or three figures."""
    if seconds >= 10:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.1f} s"
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.2g} ms"


def format_duration(seconds: float) -> str:
    """``40 s``, ``12 min``, ``8 h 40 min``, ``2 d 12 h``: a duration as people say it."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
