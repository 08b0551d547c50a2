"""Robustness corpus: rerun issue 9's red-team cases against the installed artgan and keep the record.

Hostile and broken images, abusive options, damaged checkpoints, signals and kills during
training, concurrent runs and broken plugins. Every case runs the command line as a user
would: ``python -m artgan ...`` in a fresh subprocess, in a fresh temporary folder (with
``ARTGAN_HOME`` inside it), under a timeout, and is classified as

    handled   exit 0 and the result checks out (the file exists, has the asked size, ...)
    refused   exit 2, stderr's last line starts with "artgan: error: ", no traceback
    failed    anything else: a traceback, another exit code, a timeout, a wrong result
    skipped   the case cannot be staged here (a read-only folder when running as root)

and, separately, *data lost*: what existed before the case (an input, an existing output,
the newest intact checkpoint, a run that must stay resumable) is checked afterwards. Each
case declares what it expects (handled, refused, or either); the table marks with ``!``
those that did not get it. A traceback in any command of a case makes it failed.

    python benchmarks/robustness_corpus.py                    # everything, ~5 min on 2 CPU cores
    python benchmarks/robustness_corpus.py --only plugins     # cases whose name or category has it
    python benchmarks/robustness_corpus.py --json corpus.json --jobs 1 --keep
    python benchmarks/robustness_corpus.py --list             # the cases and what each expects

``--memory GB`` (default 6) makes every case see a machine of that size
(``ARTGAN_MEMORY_LIMIT``) and caps its address space at GB + 8 GiB, so a runaway allocation
ends the case, not the machine; ``--memory 0`` runs on the machine as it is. Timing-sensitive
cases (signals, locks, the slow plugin) run one at a time after the others.

Exit status: 1 if any case failed or lost data, else 0.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import pty
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

PREFIX = "artgan: error: "
EXPECTS = {"handled": {"handled"}, "refused": {"refused"}, "either": {"handled", "refused"}}
TINY = ["-c", "z_dim=8", "-c", "g_hidden=[16]", "-c", "d_hidden=[16]", "-c", "image_size=8",
        "-c", "batch_size=4", "-c", "workers=0", "-c", "sample_every=0"]
# Runs the real command under an address-space cap (0 = none), then becomes it (exec).
_EXEC = ("import os, resource, sys\n"
         "cap = int(sys.argv[1])\n"
         "if cap: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
         "os.execv(sys.argv[2], sys.argv[2:])\n")
SETTINGS: dict[str, Any] = {"memory_gb": 6.0, "timeout": 90.0}


# ----------------------------------------------------------------------------- running commands
@dataclass
class Proc:
    """One finished command: exit status, output, time and peak memory."""

    args: list[str]
    rc: int
    stdout: bytes
    stderr: str
    seconds: float
    timed_out: bool = False
    peak_mb: float = 0.0

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def traceback(self) -> bool:
        marker = "Traceback (most recent call last)"
        return marker in self.stderr or marker.encode() in self.stdout

    @property
    def refused(self) -> bool:
        return self.rc == 2 and self.last_line.startswith(PREFIX) and not self.traceback

    @property
    def handled(self) -> bool:
        return self.rc == 0 and not self.traceback and not self.timed_out


def _pump(read: Callable[[], bytes], sink: list[bytes]) -> None:
    while True:
        try:
            chunk = read()
        except (OSError, ValueError):
            return
        if not chunk:
            return
        sink.append(chunk)


def _reap(pid: int, deadline: float) -> tuple[int, float, bool]:
    """Wait for ``pid`` (killing its process group at ``deadline``): exit code, peak RSS in MB, timed out."""
    timed_out = False
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got:
            break
        if time.monotonic() > deadline:
            timed_out = True
            with contextlib.suppress(OSError, ValueError):
                os.killpg(pid, signal.SIGKILL)
            got, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.02)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, timed_out


class Background:
    """A command left running (a training run to signal); output goes to files in its folder."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], tag: str) -> None:
        self.argv, self.start = argv, time.monotonic()
        self.out_path, self.err_path = cwd / f".{tag}.stdout", cwd / f".{tag}.stderr"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          start_new_session=True)
        self.result: Proc | None = None

    def alive(self) -> bool:
        if self.result is not None:
            return False
        got, status, usage = os.wait4(self.popen.pid, os.WNOHANG)
        if got:
            self._finish(os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, False)
            return False
        return True

    def send(self, sig: int) -> None:
        if self.alive():
            os.kill(self.popen.pid, sig)

    def wait(self, timeout: float) -> Proc:
        if self.result is None:
            rc, peak, timed_out = _reap(self.popen.pid, time.monotonic() + timeout)
            self._finish(rc, peak, timed_out)
        assert self.result is not None
        return self.result

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace") if self.err_path.exists() else ""

    def _finish(self, rc: int, peak: float, timed_out: bool) -> None:
        self.popen.returncode = rc
        self.result = Proc(self.argv, rc, self.out_path.read_bytes(), self.stderr(),
                           time.monotonic() - self.start, timed_out, peak)


class Ctx:
    """A case's fresh folder, environment and the commands it ran."""

    def __init__(self, folder: Path, fixtures: Fixtures | None = None, timeout: float | None = None) -> None:
        self.dir = folder
        self.timeout = timeout or SETTINGS["timeout"]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fixtures = fixtures
        self.env = dict(os.environ)
        self.env["ARTGAN_HOME"] = str(folder / ".artgan_home")
        self.env.pop("PYTHONPATH", None)
        gb = SETTINGS["memory_gb"]
        if gb:
            self.env["ARTGAN_MEMORY_LIMIT"] = f"{gb}GB"
        else:
            self.env.pop("ARTGAN_MEMORY_LIMIT", None)
        self.cap = int((gb * 1e9) + 8 * 2**30) if gb else 0
        self.procs: list[Proc] = []
        self.backgrounds: list[Background] = []

    def __truediv__(self, name: str) -> Path:
        return self.dir / name

    def argv(self, *args: Any) -> list[str]:
        return [sys.executable, "-c", _EXEC, str(self.cap), sys.executable, "-m", "artgan", *map(str, args)]

    def artgan(self, *args: Any, stdin: bytes | None = None, stdout: str = "pipe", timeout: float | None = None,
               env: dict[str, str] | None = None) -> Proc:
        """Run ``artgan ARGS`` and wait; ``stdout``: "pipe", "devfull", "closed" or "tty"."""
        argv = self.argv(*args)
        if stdout == "closed":
            argv = ["sh", "-c", 'exec "$@" >&-', "sh", *argv]
        timeout = timeout or self.timeout
        out_chunks: list[bytes] = []
        err_chunks: list[bytes] = []
        master = slave = None
        target: Any = subprocess.PIPE
        devfull = None
        if stdout == "devfull":
            devfull = open("/dev/full", "wb")
            target = devfull
        elif stdout == "tty":
            master, slave = pty.openpty()
            target = slave
        elif stdout == "closed":
            target = None
        start = time.monotonic()
        popen = subprocess.Popen(argv, cwd=self.dir, env=env or self.env,
                                 stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                 stdout=target, stderr=subprocess.PIPE, start_new_session=True)
        if slave is not None:
            os.close(slave)
        if devfull is not None:
            devfull.close()
        threads = [threading.Thread(target=_pump, args=(lambda: popen.stderr.read(65536), err_chunks), daemon=True)]
        if popen.stdout is not None:
            threads.append(threading.Thread(target=_pump, args=(lambda: popen.stdout.read(65536), out_chunks), daemon=True))
        if master is not None:
            threads.append(threading.Thread(target=_pump, args=(lambda: os.read(master, 65536), out_chunks), daemon=True))
        if stdin is not None:
            def feed() -> None:
                with contextlib.suppress(OSError, ValueError):
                    popen.stdin.write(stdin)
                with contextlib.suppress(OSError, ValueError):
                    popen.stdin.close()
            threads.append(threading.Thread(target=feed, daemon=True))
        for thread in threads:
            thread.start()
        rc, peak, timed_out = _reap(popen.pid, start + timeout)
        popen.returncode = rc
        for thread in threads:
            thread.join(timeout=5)
        if master is not None:
            os.close(master)
        proc = Proc(argv, rc, b"".join(out_chunks), b"".join(err_chunks).decode(errors="replace"),
                    time.monotonic() - start, timed_out, peak)
        self.procs.append(proc)
        return proc

    def background(self, *args: Any) -> Background:
        job = Background(self.argv(*args), self.dir, self.env, f"bg{len(self.backgrounds)}")
        self.backgrounds.append(job)
        return job

    def finish_backgrounds(self) -> None:
        """Kill what a case left running; count their output like any other command."""
        for job in self.backgrounds:
            if job.alive():
                with contextlib.suppress(OSError, ValueError):
                    os.killpg(job.popen.pid, signal.SIGKILL)
            proc = job.wait(10)
            if proc not in self.procs:
                self.procs.append(proc)


# ----------------------------------------------------------------------------- cases and outcomes
@dataclass
class Outcome:
    """What a case found: its main command, a wrong result, data lost, or why it was skipped."""

    proc: Proc | None = None
    problem: str | None = None  # a wrong result (makes the case failed)
    lost: str | None = None  # what existed before and is no longer intact
    skipped: str | None = None
    note: str = ""


@dataclass
class Case:
    name: str
    category: str
    expect: str
    run: Callable[[Ctx], Outcome]
    serial: bool = False
    timeout: float | None = None


CASES: list[Case] = []


def add(category: str, name: str, expect: str, run: Callable[[Ctx], Outcome], serial: bool = False,
        timeout: float | None = None) -> None:
    assert expect in EXPECTS, expect
    assert all(c.name != name or c.category != category for c in CASES), name
    CASES.append(Case(name, category, expect, run, serial, timeout))


def case(category: str, expect: str, serial: bool = False, timeout: float | None = None) -> Callable:
    def register(fn: Callable[[Ctx], Outcome]) -> Callable[[Ctx], Outcome]:
        add(category, fn.__name__.strip("_").replace("_", "-"), expect, fn, serial, timeout)
        return fn
    return register


def classify(outcome: Outcome, procs: list[Proc]) -> tuple[str, str, str]:
    """(got, reason, last stderr line) of a finished case."""
    if outcome.skipped:
        return "skipped", outcome.skipped, ""
    main = outcome.proc
    if main is None:
        return "failed", outcome.problem or "no command ran", ""
    for proc in procs:
        if proc.traceback:
            tb_line = proc.last_line
            return "failed", "traceback" + ("" if proc is main else " (in a helper command)"), tb_line
    if main.timed_out:
        return "failed", f"timed out after {main.seconds:.0f} s", main.last_line
    if outcome.problem:
        return "failed", outcome.problem, main.last_line
    if main.rc == 0:
        return "handled", "", main.last_line
    if main.refused:
        return "refused", "", main.last_line
    if main.rc == 2:
        return "failed", "exit 2 without a one-line 'artgan: error:'", main.last_line
    return "failed", f"exit {main.rc}", main.last_line


# ----------------------------------------------------------------------------- helpers for checks
def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` → its sha256."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def changed(before: dict[str, str], folder: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    """Files of ``before`` that are now missing or different (new files are fine)."""
    now = snapshot(folder) if folder.exists() else {}
    return [name for name, digest in before.items()
            if not name.startswith(ignore) and now.get(name) != digest]


def lost_if(names: list[str], what: str = "changed or removed") -> str | None:
    return f"{what}: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}" if names else None


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def same_pixels(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and int(np.abs(a - b).max(initial=0)) <= 2


def image_problem(path: Path | bytes, size: tuple[int, int] | None = None, min_mean: float | None = None,
                  min_std: float | None = None) -> str | None:
    """None if ``path`` (or the bytes) decodes as a picture of ``size`` (W, H) with sane pixels."""
    import io

    try:
        source = io.BytesIO(path) if isinstance(path, bytes) else path
        if not isinstance(path, bytes) and not path.is_file():
            return f"{path.name}: not written"
        with Image.open(source) as im:
            im.load()
            got = im.size
            arr = np.asarray(im.convert("RGB"), dtype=np.float64)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the finding
        return f"output does not decode ({type(exc).__name__}: {exc})"[:120]
    if size is not None and got != tuple(size):
        return f"output is {got[0]}x{got[1]}, expected {size[0]}x{size[1]}"
    if min_mean is not None and arr.mean() < min_mean:
        return f"output is (nearly) black: mean {arr.mean():.1f}/255"
    if min_std is not None and arr.std() < min_std:
        return f"output is flat: std {arr.std():.2f}"
    return None


def picture(width: int, height: int, seed: int = 0) -> Image.Image:
    """A textured RGB picture (noise over a gradient) so style transfer has something to work on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / max(width - 1, 1), y * 255 / max(height - 1, 1), np.full_like(x, 128)], -1)
    noisy = np.clip(base + rng.normal(0, 30, base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy)


def write_picture(path: Path, width: int = 48, height: int = 32, seed: int = 0, **save: Any) -> Path:
    picture(width, height, seed).save(path, **save)
    return path


def latest_step(run: Path) -> int | None:
    """The step of the run's ``checkpoints/latest`` if it names a complete checkpoint."""
    pointer = run / "checkpoints" / "latest"
    try:
        name = pointer.read_text().strip()
    except OSError:
        return None
    folder = run / "checkpoints" / name
    if not (folder / "model.safetensors").is_file() or not name.startswith("step-"):
        return None
    try:
        return int(name.split("-")[1])
    except ValueError:
        return None


def train_args(out: str | Path, steps: int, *config: str, resume: bool = False) -> list[str]:
    args = ["train"] + ([] if resume else ["mlp", "--data", "builtin:digits"])
    args += ["--out", str(out), "--steps", str(steps), "--quiet"]
    if resume:
        args.append("--resume")
    else:
        args += TINY
    for item in config:
        args += ["-c", item]
    return args


def wait_for(check: Callable[[], bool], timeout: float, job: Background | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if job is not None and not job.alive():
            return check()
        time.sleep(0.1)
    return False


def stats_lines(run: Path) -> int:
    try:
        return len((run / "stats.jsonl").read_text().splitlines())
    except OSError:
        return 0


# ----------------------------------------------------------------------------- shared fixtures
class Fixtures:
    """Things several cases read (a tiny training run, reference pictures), built once on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.values: dict[str, Any] = {}
        self.locks: dict[str, threading.Lock] = {}

    def get(self, name: str) -> Any:
        with self.lock:
            lock = self.locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self.values:
                try:
                    self.values[name] = getattr(self, "_" + name.replace("-", "_"))()
                except Exception as exc:  # noqa: BLE001 - remembered, reported by every case that needs it
                    self.values[name] = RuntimeError(f"fixture {name}: {exc}")
            value = self.values[name]
        if isinstance(value, Exception):
            raise value
        return value

    def _ctx(self, name: str) -> Ctx:
        return Ctx(self.root / name)

    def _run(self) -> Path:
        """A tiny mlp run with checkpoints at steps 2 and 4."""
        ctx = self._ctx("run")
        proc = ctx.artgan(*train_args(ctx / "run", 4, "checkpoint_every=2"), timeout=180)
        if proc.rc != 0 or latest_step(ctx / "run") != 4 or not (ctx / "run/checkpoints/step-0000002").is_dir():
            raise RuntimeError(f"training the base run failed (exit {proc.rc}): {proc.last_line}")
        return ctx / "run"

    def _generated(self, model: str, tag: str) -> np.ndarray:
        ctx = self._ctx(tag)
        proc = ctx.artgan("generate", model, "--seed", "1", "-o", ctx / "out.png")
        if proc.rc != 0:
            raise RuntimeError(f"generate {model} failed (exit {proc.rc}): {proc.last_line}")
        return pixels(ctx / "out.png")

    def _digits(self) -> np.ndarray:
        return self._generated("mlp.digits", "digits")

    def _step2(self) -> np.ndarray:
        return self._generated(str(self.get("run") / "checkpoints" / "step-0000002"), "step2")

    def _step4(self) -> np.ndarray:
        return self._generated(str(self.get("run") / "checkpoints" / "step-0000004"), "step4")


def copy_run(ctx: Ctx) -> Path:
    assert ctx.fixtures is not None
    run = ctx / "run"
    shutil.copytree(ctx.fixtures.get("run"), run)
    return run


def damage_weights(path: Path) -> None:
    """Overwrite 4 KB of a safetensors file's tensor data (not its header) with noise."""
    data = bytearray(path.read_bytes())
    start = 8 + struct.unpack("<Q", bytes(data[:8]))[0]
    length = min(4096, len(data) - start)
    offset = start + max(0, (len(data) - start - length) // 2)
    data[offset:offset + length] = np.random.default_rng(9).integers(0, 256, length, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


# ============================================================================= images
STYLE = ["--style", "vangogh"]


def stylize_file(ctx: Ctx, src: Path, size: tuple[int, int] | None = None, out: str = "out.png",
                 min_mean: float | None = None, timeout: float | None = None) -> Outcome:
    """Stylize one file to ``out``: when handled, the output must decode at ``size``; the input stays intact."""
    before = sha(src)
    proc = ctx.artgan("stylize", src, "-o", ctx / out, *STYLE, timeout=timeout)
    problem = image_problem(ctx / out, size, min_mean=min_mean) if proc.rc == 0 else None
    lost = None if src.exists() and sha(src) == before else f"input {src.name} changed"
    return Outcome(proc, problem, lost)


def _truncated(ctx: Ctx, suffix: str) -> Outcome:
    src = write_picture(ctx / f"in{suffix}", 64, 48)
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    return stylize_file(ctx, src)


add("images", "truncated-jpeg", "refused", lambda ctx: _truncated(ctx, ".jpg"))
add("images", "truncated-png", "refused", lambda ctx: _truncated(ctx, ".png"))


@case("images", "refused")
def zero_byte_file(ctx: Ctx) -> Outcome:
    (ctx / "empty.jpg").write_bytes(b"")
    return stylize_file(ctx, ctx / "empty.jpg")


@case("images", "refused")
def text_named_png(ctx: Ctx) -> Outcome:
    (ctx / "notes.png").write_text("these are my notes, not a picture\n" * 20)
    return stylize_file(ctx, ctx / "notes.png")


@case("images", "refused", timeout=60)
def jpeg_claims_12000x12000(ctx: Ctx) -> Outcome:
    src = write_picture(ctx / "big.jpg", 64, 48)
    data = bytearray(src.read_bytes())
    sof = data.find(b"\xff\xc0")
    assert sof > 0, "Pillow wrote no baseline SOF0 marker"
    data[sof + 5:sof + 9] = struct.pack(">HH", 12000, 12000)  # height, width
    src.write_bytes(bytes(data))
    outcome = stylize_file(ctx, src)
    if outcome.proc and outcome.proc.peak_mb > 2500:
        outcome.problem = outcome.problem or f"decoded a fake size: peak {outcome.proc.peak_mb:.0f} MB"
    return outcome


def _png_claiming(ctx: Ctx, width: int, height: int) -> Path:
    src = write_picture(ctx / "bomb.png", 64, 64)
    data = bytearray(src.read_bytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    src.write_bytes(bytes(data))
    return src


@case("images", "refused", timeout=60)
def png_bomb_100000x100000(ctx: Ctx) -> Outcome:
    outcome = stylize_file(ctx, _png_claiming(ctx, 100_000, 100_000))
    if outcome.proc and outcome.proc.peak_mb > 2500:
        outcome.problem = outcome.problem or f"allocated for the claimed size: peak {outcome.proc.peak_mb:.0f} MB"
    return outcome


@case("images", "refused", timeout=60)
def png_claims_12000x12000(ctx: Ctx) -> Outcome:
    """Below Pillow's own bomb threshold (2x89 MP), so only artgan's limit stands in the way."""
    outcome = stylize_file(ctx, _png_claiming(ctx, 12_000, 12_000))
    if outcome.proc and outcome.proc.peak_mb > 2500:
        outcome.problem = outcome.problem or f"allocated for the claimed size: peak {outcome.proc.peak_mb:.0f} MB"
    return outcome


def _sized(width: int, height: int) -> Callable[[Ctx], Outcome]:
    def run(ctx: Ctx) -> Outcome:
        return stylize_file(ctx, write_picture(ctx / "in.png", width, height), (width, height), timeout=120)
    return run


add("images", "1x5000", "handled", _sized(1, 5000), timeout=120)
add("images", "5000x1", "handled", _sized(5000, 1), timeout=120)
add("images", "1x1", "handled", _sized(1, 1))
add("images", "odd-37x23", "handled", _sized(37, 23))


@case("images", "handled")
def cmyk_jpeg(ctx: Ctx) -> Outcome:
    src = ctx / "cmyk.jpg"
    picture(40, 30).convert("CMYK").save(src)
    return stylize_file(ctx, src, (40, 30), out="out.jpg")


@case("images", "handled")
def png_16_bit(ctx: Ctx) -> Outcome:
    src = ctx / "deep.png"
    ramp = (np.linspace(0, 65535, 40 * 30).reshape(30, 40)).astype(np.uint16)
    Image.fromarray(ramp).save(src)
    return stylize_file(ctx, src, (40, 30), min_mean=20)


@case("images", "handled")
def palette_with_transparency(ctx: Ctx) -> Outcome:
    src = ctx / "pal.png"
    im = picture(40, 30).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    im.save(src, transparency=0)
    return stylize_file(ctx, src, (40, 30))


@case("images", "handled")
def grey_with_alpha_la(ctx: Ctx) -> Outcome:
    src = ctx / "la.png"
    grey = picture(40, 30).convert("L")
    Image.merge("LA", (grey, Image.new("L", grey.size, 180))).save(src)
    return stylize_file(ctx, src, (40, 30))


@case("images", "handled")
def float_tiff_0_to_1(ctx: Ctx) -> Outcome:
    """Floats in 0..1: read as 0..255 the picture would be black; the result must not be."""
    src = ctx / "float.tif"
    values = np.asarray(picture(40, 30).convert("L"), dtype=np.float32) / 255.0
    Image.fromarray(values).save(src)  # float32: mode F
    return stylize_file(ctx, src, (40, 30), min_mean=25)


@case("images", "handled")
def exif_rotated_jpeg(ctx: Ctx) -> Outcome:
    """Stored 40x24 with Orientation 6 (shown rotated 90 degrees): the result is 24x40."""
    src = ctx / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    picture(40, 24).save(src, exif=exif)
    return stylize_file(ctx, src, (24, 40), out="out.jpg")


@case("images", "either")
def animated_gif(ctx: Ctx) -> Outcome:
    src = ctx / "anim.gif"
    frames = [picture(32, 24, seed) for seed in range(3)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return stylize_file(ctx, src, (32, 24))


@case("images", "refused")
def folder_with_one_bad_file(ctx: Ctx) -> Outcome:
    """The good pictures are written, the bad one is named, the exit status is not 0."""
    folder = ctx / "photos"
    folder.mkdir()
    write_picture(folder / "a.png", seed=1)
    write_picture(folder / "b.jpg", seed=2)
    (folder / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"broken" * 10)
    write_picture(folder / "d.png", seed=3)
    before = snapshot(folder)
    proc = ctx.artgan("stylize", folder, "-o", ctx / "out", *STYLE)
    missing = [name for name in ("a.png", "b.jpg", "d.png") if image_problem(ctx / "out" / name)]
    problem = None
    if missing:
        problem = f"good pictures not written: {', '.join(missing)}"
    elif proc.rc == 0:
        problem = "exit 0 although an input could not be read"
    elif "c.png" not in proc.stderr:
        problem = "the bad file is not named"
    return Outcome(proc, problem, lost_if(changed(before, folder), "inputs changed"))


@case("images", "handled")
def skip_existing_resumes_folder(ctx: Ctx) -> Outcome:
    folder, out = ctx / "photos", ctx / "out"
    folder.mkdir()
    out.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_picture(folder / name, seed=i)
    write_picture(out / "a.png", seed=99)  # done by an earlier, interrupted batch
    before = snapshot(out)
    proc = ctx.artgan("stylize", folder, "-o", out, "--skip-existing", *STYLE)
    problem = None
    if proc.rc == 0:
        problem = image_problem(out / "b.png", (48, 32)) or image_problem(out / "c.png", (48, 32))
    return Outcome(proc, problem, lost_if(changed(before, out), "existing output replaced"))


@case("images", "handled")
def stdin_to_stdout(ctx: Ctx) -> Outcome:
    data = (write_picture(ctx / "in.png", 40, 30)).read_bytes()
    proc = ctx.artgan("stylize", "-", *STYLE, stdin=data)
    return Outcome(proc, image_problem(proc.stdout, (40, 30)) if proc.rc == 0 else None)


@case("images", "refused")
def stdin_empty(ctx: Ctx) -> Outcome:
    return Outcome(ctx.artgan("stylize", "-", *STYLE, stdin=b""))


@case("images", "refused")
def stdin_garbage(ctx: Ctx) -> Outcome:
    return Outcome(ctx.artgan("stylize", "-", *STYLE, stdin=b"GIF89a" + os.urandom(300)))


@case("images", "refused")
def stdout_to_dev_full(ctx: Ctx) -> Outcome:
    data = write_picture(ctx / "in.png", 40, 30).read_bytes()
    return Outcome(ctx.artgan("stylize", "-", *STYLE, stdin=data, stdout="devfull"))


@case("images", "refused")
def stdout_closed(ctx: Ctx) -> Outcome:
    data = write_picture(ctx / "in.png", 40, 30).read_bytes()
    return Outcome(ctx.artgan("stylize", "-", *STYLE, stdin=data, stdout="closed"))


@case("images", "refused")
def binary_to_a_terminal(ctx: Ctx) -> Outcome:
    data = write_picture(ctx / "in.png", 40, 30).read_bytes()
    proc = ctx.artgan("stylize", "-", *STYLE, stdin=data, stdout="tty")
    problem = "wrote binary image data to the terminal" if b"IHDR" in proc.stdout or b"\x89PNG" in proc.stdout else None
    return Outcome(proc, problem)


@case("images", "refused")
def missing_input(ctx: Ctx) -> Outcome:
    return Outcome(ctx.artgan("stylize", ctx / "no_such_photo.jpg", *STYLE))


@case("images", "refused")
def empty_input_folder(ctx: Ctx) -> Outcome:
    (ctx / "nothing").mkdir()
    return Outcome(ctx.artgan("stylize", ctx / "nothing", "-o", ctx / "out", *STYLE))


# ============================================================================= outputs
GEN = ["generate", "mlp.digits", "--seed", "1"]


@case("outputs", "refused")
def read_only_folder(ctx: Ctx) -> Outcome:
    if os.geteuid() == 0:
        return Outcome(skipped="running as root: permissions do not apply")
    folder = ctx / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        proc = ctx.artgan(*GEN, "-o", folder / "x.png")
    finally:
        folder.chmod(0o755)
    return Outcome(proc)


@case("outputs", "refused")
def parent_is_a_file(ctx: Ctx) -> Outcome:
    (ctx / "afile").write_text("keep me\n")
    proc = ctx.artgan(*GEN, "-o", ctx / "afile" / "x.png")
    return Outcome(proc, lost=None if (ctx / "afile").read_text() == "keep me\n" else "afile changed")


@case("outputs", "refused")
def existing_file_without_overwrite(ctx: Ctx) -> Outcome:
    target = write_picture(ctx / "mine.png", seed=5)
    before = sha(target)
    proc = ctx.artgan(*GEN, "-o", target)
    return Outcome(proc, lost=None if sha(target) == before else "existing mine.png replaced")


@case("outputs", "handled")
def existing_file_with_overwrite(ctx: Ctx) -> Outcome:
    target = write_picture(ctx / "mine.png", seed=5)
    before = sha(target)
    proc = ctx.artgan(*GEN, "-o", target, "--overwrite")
    problem = None
    if proc.rc == 0:
        problem = "not replaced" if sha(target) == before else image_problem(target, (28, 28))
    return Outcome(proc, problem)


@case("outputs", "either")
def existing_folder_as_single_output(ctx: Ctx) -> Outcome:
    folder = ctx / "album"
    folder.mkdir()
    write_picture(folder / "old.png", seed=3)
    before = snapshot(folder)
    proc = ctx.artgan(*GEN, "-o", folder)
    problem = None
    if proc.rc == 0:
        new = [p for p in folder.iterdir() if p.name != "old.png"]
        problem = None if new and not image_problem(new[0], (28, 28)) else "nothing readable written into the folder"
    return Outcome(proc, problem, lost_if(changed(before, folder)))


@case("outputs", "either")
def new_folder_with_slash(ctx: Ctx) -> Outcome:
    proc = ctx.artgan(*GEN, "-o", str(ctx / "newdir") + "/")
    problem = None
    if proc.rc == 0:
        files = list((ctx / "newdir").glob("*")) if (ctx / "newdir").is_dir() else []
        problem = None if files and not image_problem(files[0], (28, 28)) else "no picture inside newdir/"
    return Outcome(proc, problem)


@case("outputs", "refused")
def grid_folder_twice(ctx: Ctx) -> Outcome:
    """-n 4 into a folder, then again: the second must not replace the first's files."""
    first = ctx.artgan(*GEN, "-n", "4", "-o", str(ctx / "frames") + "/")
    if first.rc != 0:
        return Outcome(first, problem=f"the first run failed (exit {first.rc})")
    before = snapshot(ctx / "frames")
    proc = ctx.artgan("generate", "mlp.digits", "--seed", "2", "-n", "4", "-o", str(ctx / "frames") + "/")
    return Outcome(proc, lost=lost_if(changed(before, ctx / "frames"), "first run's frames replaced"))


@case("outputs", "refused")
def unknown_suffix(ctx: Ctx) -> Outcome:
    proc = ctx.artgan(*GEN, "-o", ctx / "x.xyz")
    return Outcome(proc, "wrote x.xyz anyway" if proc.rc != 0 and (ctx / "x.xyz").exists() else None)


@case("outputs", "either")
def no_suffix(ctx: Ctx) -> Outcome:
    proc = ctx.artgan(*GEN, "-o", ctx / "picture")
    problem = None
    if proc.rc == 0:
        target = ctx / "picture"
        files = list(target.glob("*")) if target.is_dir() else [target]
        problem = None if files and not image_problem(files[0]) else "nothing readable written"
    return Outcome(proc, problem)


@case("outputs", "either")
def dash_means_stdout(ctx: Ctx) -> Outcome:
    """``-o -`` (stdout, as stylize takes it): a picture on stdout, or a refusal, not a folder named '-'."""
    proc = ctx.artgan(*GEN, "-o", "-")
    problem = None
    if proc.rc == 0:
        problem = image_problem(proc.stdout, (28, 28))
        if problem and (ctx / "-").exists():
            problem = "wrote a file or folder named '-' instead of stdout"
    return Outcome(proc, problem)


@case("outputs", "refused")
def name_too_long(ctx: Ctx) -> Outcome:
    return Outcome(ctx.artgan(*GEN, "-o", ctx / ("x" * 300 + ".png")))


@case("outputs", "refused")
def stylize_onto_its_input(ctx: Ctx) -> Outcome:
    src = write_picture(ctx / "photo.png")
    before = sha(src)
    proc = ctx.artgan("stylize", src, "-o", src, *STYLE)
    return Outcome(proc, lost=None if sha(src) == before else "input photo.png overwritten")


@case("outputs", "refused")
def stylize_default_output_exists(ctx: Ctx) -> Outcome:
    src = write_picture(ctx / "photo.png")
    existing = write_picture(ctx / "photo_vangogh.png", seed=7)
    before = sha(existing)
    proc = ctx.artgan("stylize", src, *STYLE)
    return Outcome(proc, lost=None if sha(existing) == before else "existing photo_vangogh.png replaced")


@case("outputs", "refused")
def symlink_to_existing_file(ctx: Ctx) -> Outcome:
    """-o names a symlink to an existing picture: refused without --overwrite, the target intact."""
    target = write_picture(ctx / "mine.png", seed=5)
    before = sha(target)
    (ctx / "link.png").symlink_to(target)
    proc = ctx.artgan(*GEN, "-o", ctx / "link.png")
    return Outcome(proc, lost=None if sha(target) == before else "the symlink's target was replaced")


@case("outputs", "refused")
def several_inputs_to_one_file(ctx: Ctx) -> Outcome:
    folder = ctx / "photos"
    folder.mkdir()
    write_picture(folder / "a.png", seed=1)
    write_picture(folder / "b.png", seed=2)
    proc = ctx.artgan("stylize", folder, "-o", ctx / "one.png", *STYLE)
    return Outcome(proc, "wrote one.png anyway" if proc.rc != 0 and (ctx / "one.png").exists() else None)


@case("outputs", "refused")
def stylize_folder_onto_itself(ctx: Ctx) -> Outcome:
    folder = ctx / "photos"
    folder.mkdir()
    write_picture(folder / "a.png", seed=1)
    write_picture(folder / "b.jpg", seed=2)
    before = snapshot(folder)
    proc = ctx.artgan("stylize", folder, "-o", folder, *STYLE)
    return Outcome(proc, lost=lost_if(changed(before, folder), "inputs overwritten"))


@case("outputs", "either", serial=True)
def two_generates_one_file(ctx: Ctx) -> Outcome:
    """Two generate -o out.png at once, no --overwrite: at most one may write it (a race, so it may pass by luck)."""
    jobs = [ctx.background("generate", "mlp.digits", "--seed", str(seed), "-o", ctx / "out.png") for seed in (1, 2)]
    procs = [job.wait(ctx.timeout) for job in jobs]
    problem = image_problem(ctx / "out.png", (28, 28))
    lost = "both exited 0: one replaced the other's out.png without --overwrite" if all(p.rc == 0 for p in procs) else None
    main = next((p for p in procs if p.rc != 0), procs[1])
    return Outcome(main, problem, lost)


@case("outputs", "handled")
def json_is_json(ctx: Ctx) -> Outcome:
    proc = ctx.artgan(*GEN, "-o", ctx / "x.png", "--json")
    problem = None
    if proc.rc == 0:
        try:
            json.loads(proc.stdout)
        except ValueError as exc:
            problem = f"--json printed no JSON ({exc})"
    return Outcome(proc, problem)


# ============================================================================= options
def gen_check(out: str, size: tuple[int, int] | None, min_std: float | None = None, max_mb: float | None = None
              ) -> Callable[[Ctx, Proc], str | None]:
    def check(ctx: Ctx, proc: Proc) -> str | None:
        if max_mb and proc.peak_mb > max_mb:
            return f"peak memory {proc.peak_mb:.0f} MB"
        return image_problem(ctx / out, size, min_std=min_std) if proc.rc == 0 else None
    return check


def no_big_alloc(limit: float = 2500) -> Callable[[Ctx, Proc], str | None]:
    def check(ctx: Ctx, proc: Proc) -> str | None:
        return f"allocated before refusing: peak {proc.peak_mb:.0f} MB" if proc.peak_mb > limit else None
    return check


def option_case(name: str, expect: str, args: list[str], check: Callable[[Ctx, Proc], str | None] | None = None,
                must_say: str | None = None, timeout: float | None = None) -> None:
    def run(ctx: Ctx) -> Outcome:
        proc = ctx.artgan(*args, timeout=timeout)
        problem = check(ctx, proc) if check else None
        if proc.rc != 0 and must_say and must_say not in proc.stderr:
            problem = problem or f"the message does not mention {must_say!r}"
        return Outcome(proc, problem)
    add("options", name, expect, run, timeout=timeout)


PAT = ["generate", "pattern.textures", "--seed", "1", "-o", "out.png"]
TRAIN = ["train", "mlp", "--data", "builtin:digits", "--out", "run", "--steps", "2", "--quiet", *TINY]

option_case("seed-2**64", "refused", [*GEN[:2], "--seed", str(2**64), "-o", "out.png"])
option_case("seed-minus-1", "refused", [*GEN[:2], "--seed", "-1", "-o", "out.png"])
for _key, _value in [("lr", "nan"), ("lr", "inf"), ("lr", "-1"), ("beta1", "5"), ("z_dim", "0"), ("z_dim", "-3"),
                     ("image_size", "0"), ("batch_size", str(10**30))]:
    option_case(f"train-c-{_key}={_value}", "refused", [*TRAIN, "-c", f"{_key}={_value}"])
option_case("train-c-g_hidden=[100000000]", "refused", [*TRAIN, "-c", "g_hidden=[100000000]"], no_big_alloc())
option_case("train-unknown-key", "refused", [*TRAIN, "-c", "learning_rate=0.1"], must_say="learning_rate")
option_case("train-c-without-equals", "refused", [*TRAIN, "-c", "lr"])
option_case("train-steps-0", "refused", ["train", "mlp", "--data", "builtin:digits", "--out", "run", "--steps", "0"])
option_case("train-missing-data-folder", "refused", ["train", "mlp", "--data", "no_such_folder", "--out", "run", "--steps", "2"])


@case("options", "refused")
def train_data_all_broken(ctx: Ctx) -> Outcome:
    folder = ctx / "data"
    folder.mkdir()
    for i in range(6):
        (folder / f"{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    return Outcome(ctx.artgan(*train_args(ctx / "run", 2)[:2], "--data", folder, *train_args(ctx / "run", 2)[4:]))


@case("options", "either")
def train_data_one_bad_among_good(ctx: Ctx) -> Outcome:
    folder = ctx / "data"
    folder.mkdir()
    for i in range(8):
        write_picture(folder / f"{i}.png", 12, 12, seed=i)
    (folder / "8.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    proc = ctx.artgan(*train_args(ctx / "run", 2)[:2], "--data", folder, *train_args(ctx / "run", 2)[4:])
    problem = None
    if proc.rc == 0 and latest_step(ctx / "run") != 2:
        problem = "exit 0 but no checkpoint at step 2"
    return Outcome(proc, problem)


option_case("train-no-plugin", "refused", ["train", "--out", "run", "--steps", "2"])
option_case("train-unknown-plugin", "refused", ["train", "mlpp", "--data", "builtin:digits", "--out", "run"], must_say="mlp")
option_case("mix-wood:nan", "refused", [*PAT, "--size", "32", "--mix", "wood:nan"])
option_case("mix-wood:1e308,brick:1e308", "either", [*PAT, "--size", "32", "--mix", "wood:1e308,brick:1e308"],
            gen_check("out.png", (32, 32), min_std=1))
option_case("mix-wood:-1", "refused", [*PAT, "--size", "32", "--mix", "wood:-1"])
option_case("mix-unknown-class", "refused", [*PAT, "--size", "32", "--mix", "woood:1"], must_say="wood")
option_case("mix-garbage", "refused", [*PAT, "--size", "32", "--mix", "::,,"])
option_case("label-unknown", "refused", [*PAT, "--size", "32", "--label", "granite"])
option_case("size-0", "refused", [*PAT, "--size", "0"])
option_case("size-not-a-number", "refused", [*PAT, "--size", "big"])
option_case("size-16384", "either", [*PAT, "--size", "16384"], gen_check("out.png", (16384, 16384)), timeout=180)
option_case("size-4096-n-64", "either", [*PAT, "--size", "4096", "-n", "64"], gen_check("out.png", None), timeout=180)
option_case("tileable-size-40", "either", [*PAT, "--size", "40", "--tileable"], gen_check("out.png", (40, 40)))
option_case("n-0", "refused", [*GEN, "-n", "0", "-o", "out.png"])
option_case("n-10**9", "refused", [*GEN, "-n", str(10**9), "-o", "out.png"], no_big_alloc(), timeout=20)
option_case("batch-size-0", "refused", [*GEN, "--batch-size", "0", "-o", "out.png"])
option_case("columns-0", "refused", [*GEN, "-n", "4", "--columns", "0", "-o", "out.png"])
option_case("unknown-option", "refused", [*GEN, "--bogus", "-o", "out.png"])
option_case("param-unknown", "refused", [*GEN, "-p", "nosuch=1", "-o", "out.png"], must_say="nosuch")
option_case("param-wrong-type", "refused", [*GEN, "-p", "n=many", "-o", "out.png"])
option_case("device-tpu", "refused", [*GEN, "--device", "tpu", "-o", "out.png"])
option_case("model-typo", "refused", ["generate", "mlp.digts", "-o", "out.png"], must_say="mlp.digits")
option_case("model-unknown-plugin", "refused", ["generate", "nosuch.thing", "-o", "out.png"])
option_case("run-unknown-verb", "refused", ["run", "mlp.digits", "paint", "-o", "out.png"])


@case("options", "refused")
def stylize_strength_2(ctx: Ctx) -> Outcome:
    src = write_picture(ctx / "in.png")
    proc = ctx.artgan("stylize", src, "--strength", "2", "-o", ctx / "out.png", *STYLE)
    return Outcome(proc, "wrote out.png" if (ctx / "out.png").exists() else None)


@case("options", "refused")
def stylize_unknown_style(ctx: Ctx) -> Outcome:
    src = write_picture(ctx / "in.png")
    proc = ctx.artgan("stylize", src, "--style", "vangohg", "-o", ctx / "out.png")
    return Outcome(proc, None if proc.rc == 0 or "vangogh" in proc.stderr else "no suggestion of 'vangogh'")


option_case("eval-missing-data", "refused", ["eval", "mlp.digits", "--data", "no_such_folder"])


# ============================================================================= checkpoints
def from_run(ctx: Ctx, run: Path, *, expect_like: str, damaged: str | None = None,
             target: Path | None = None) -> Outcome:
    """``generate`` from the run (or ``target``): handled only if the pixels are those of ``expect_like``."""
    assert ctx.fixtures is not None
    before = snapshot(run)
    proc = ctx.artgan("generate", target or run, "--seed", "1", "-o", ctx / "out.png")
    problem = None
    if proc.rc == 0:
        problem = image_problem(ctx / "out.png")
        if problem is None and not same_pixels(pixels(ctx / "out.png"), ctx.fixtures.get(expect_like)):
            problem = f"pixels are not those of the intact {expect_like} checkpoint"
    ignore = (damaged,) if damaged else ()
    return Outcome(proc, problem, lost_if(changed(before, run, ignore), "checkpoint files changed"))


NEWEST = "checkpoints/step-0000004"


@case("checkpoints", "either")
def weights_4kb_overwritten(ctx: Ctx) -> Outcome:
    """The newest model.safetensors damaged: refuse, or fall back to step 2 (never draw from noise)."""
    run = copy_run(ctx)
    damage_weights(run / NEWEST / "model.safetensors")
    return from_run(ctx, run, expect_like="step2", damaged=NEWEST)


@case("checkpoints", "refused")
def damaged_checkpoint_directly(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    damage_weights(run / NEWEST / "model.safetensors")
    return from_run(ctx, run, expect_like="step2", damaged=NEWEST, target=run / NEWEST)


@case("checkpoints", "either")
def weights_truncated_to_0(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    (run / NEWEST / "model.safetensors").write_bytes(b"")
    return from_run(ctx, run, expect_like="step2", damaged=NEWEST)


def _config_case(mutate: Callable[[dict], Any], raw: str | None = None) -> Callable[[Ctx], Outcome]:
    def run_case(ctx: Ctx) -> Outcome:
        run = copy_run(ctx)
        path = run / NEWEST / "config.json"
        if raw is not None:
            path.write_text(raw)
        else:
            config = json.loads(path.read_text())
            path.write_text(json.dumps(mutate(config)))
        return from_run(ctx, run, expect_like="step2", damaged=NEWEST)
    return run_case


def _without(key: str) -> Callable[[dict], dict]:
    return lambda config: {k: v for k, v in config.items() if k != key}


def _model_setting(key: str, value: Any) -> Callable[[dict], dict]:
    def mutate(config: dict) -> dict:
        config["model_config"][key] = value
        return config
    return mutate


add("checkpoints", "config-invalid-json", "either", _config_case(lambda c: c, raw='{"format": "artgan-checkpoint", '))
add("checkpoints", "config-a-list", "either", _config_case(lambda c: [c]))
add("checkpoints", "config-missing-plugin", "either", _config_case(_without("plugin")))
add("checkpoints", "config-missing-model-config", "either", _config_case(_without("model_config")))
add("checkpoints", "config-wrong-types", "either",
    _config_case(lambda c: {**c, "step": "four", "model_config": {**c["model_config"], "z_dim": "eight"}}))


def _huge_config(key: str, value: Any) -> Callable[[Ctx], Outcome]:
    def run_case(ctx: Ctx) -> Outcome:
        run = copy_run(ctx)
        path = run / NEWEST / "config.json"
        config = json.loads(path.read_text())
        config["model_config"][key] = value
        path.write_text(json.dumps(config))
        outcome = from_run(ctx, run, expect_like="step2", damaged=NEWEST, target=run / NEWEST)
        if outcome.proc and outcome.proc.peak_mb > 2500:
            outcome.problem = outcome.problem or f"allocated before refusing: peak {outcome.proc.peak_mb:.0f} MB"
        return outcome
    return run_case


add("checkpoints", "config-g_hidden-[100000000]", "refused", _huge_config("g_hidden", [100_000_000]))
add("checkpoints", "config-image_size-100000", "refused", _huge_config("image_size", 100_000))


@case("checkpoints", "either")
def latest_points_outside_run(ctx: Ctx) -> Outcome:
    """``latest`` names a valid checkpoint elsewhere: refuse, or ignore it and use this run's step 4."""
    run = copy_run(ctx)
    shutil.copytree(run / "checkpoints/step-0000002", ctx / "elsewhere/step-0000002")
    (run / "checkpoints/latest").write_text("../../elsewhere/step-0000002\n")
    return from_run(ctx, run, expect_like="step4", damaged="checkpoints/latest")


@case("checkpoints", "either")
def latest_names_missing_step(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    (run / "checkpoints/latest").write_text("step-0999999\n")
    return from_run(ctx, run, expect_like="step4", damaged="checkpoints/latest")


@case("checkpoints", "either")
def incomplete_newer_checkpoint_folder(ctx: Ctx) -> Outcome:
    """A step-99 folder with only config.json (a write cut short): it must not be taken for a checkpoint."""
    run = copy_run(ctx)
    (run / "checkpoints/step-0000099").mkdir()
    shutil.copy(run / NEWEST / "config.json", run / "checkpoints/step-0000099/config.json")
    return from_run(ctx, run, expect_like="step4", damaged="checkpoints/step-0000099")


@case("checkpoints", "refused")
def resume_steps_below_current(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    before = snapshot(run)
    proc = ctx.artgan(*train_args(run, 2, resume=True))
    return Outcome(proc, lost=lost_if(changed(before, run), "run changed"))


@case("checkpoints", "either")
def resume_with_damaged_training_state(ctx: Ctx) -> Outcome:
    """Refuse, or resume from step 2 (the intact one); either way the run stays resumable."""
    run = copy_run(ctx)
    state = run / NEWEST / "training_state.pt"
    state.write_bytes(state.read_bytes()[:100])
    proc = ctx.artgan(*train_args(run, 6, resume=True))
    problem = None
    if proc.rc == 0 and latest_step(run) != 6:
        problem = f"resumed run ended at step {latest_step(run)}, not 6"
    lost = None
    if latest_step(run) is None:
        lost = "no complete checkpoint left"
    return Outcome(proc, problem, lost)


@case("checkpoints", "refused")
def resume_without_checkpoints(ctx: Ctx) -> Outcome:
    (ctx / "run").mkdir()
    return Outcome(ctx.artgan(*train_args(ctx / "run", 4, resume=True)))


@case("checkpoints", "refused")
def export_damaged_checkpoint(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    damage_weights(run / NEWEST / "model.safetensors")
    proc = ctx.artgan("export", run / NEWEST, "-o", ctx / "exported")
    problem = "exported the damaged weights" if (ctx / "exported" / "model.safetensors").exists() else None
    return Outcome(proc, problem)


@case("checkpoints", "refused")
def export_onto_existing_folder(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    (ctx / "exported").mkdir()
    (ctx / "exported" / "model.safetensors").write_bytes(b"my other model")
    before = snapshot(ctx / "exported")
    proc = ctx.artgan("export", run, "-o", ctx / "exported")
    return Outcome(proc, lost=lost_if(changed(before, ctx / "exported"), "existing export replaced"))


@case("checkpoints", "handled")
def export_then_generate(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    proc = ctx.artgan("export", run, "-o", ctx / "exported")
    if proc.rc != 0:
        return Outcome(proc)
    gen = ctx.artgan("generate", ctx / "exported", "--seed", "1", "-o", ctx / "out.png")
    return Outcome(proc, None if gen.rc == 0 else f"the export does not load: {gen.last_line}"[:120])


# ============================================================================= training
def resumable(ctx: Ctx, run: Path) -> tuple[Proc | None, str | None]:
    """Resume ``run`` for 2 more steps: the resume and what is wrong (None if it continued)."""
    step = latest_step(run)
    if step is None:
        return None, "no complete checkpoint to resume from"
    proc = ctx.artgan(*train_args(run, step + 2, resume=True))
    if proc.rc != 0:
        return proc, f"--resume failed (exit {proc.rc})"
    if latest_step(run) != step + 2:
        return proc, f"resumed to step {latest_step(run)}, not {step + 2}"
    return proc, None


@case("training", "refused", serial=True, timeout=240)
def two_trains_one_out(ctx: Ctx) -> Outcome:
    """A second train (a --resume) on a run still training is refused; the first stops on SIGTERM and resumes."""
    run = ctx / "run"
    first = ctx.background(*train_args(run, 100_000, "checkpoint_every=5", "log_every=1"))
    if not wait_for(lambda: latest_step(run) is not None, 90, first):
        ctx.finish_backgrounds()
        return Outcome(first.wait(1), problem="the first run wrote no checkpoint within 90 s")
    proc = ctx.artgan(*train_args(run, 100_000, "log_every=1", resume=True), timeout=60)
    problem = None if first.alive() else "the first run died while the second started"
    first.send(signal.SIGTERM)
    stopped = first.wait(60)
    if stopped.timed_out:
        problem = problem or "the first run did not stop within 60 s of SIGTERM"
    _, wrong = resumable(ctx, run)
    return Outcome(proc, problem, wrong, note=f"first run exit {stopped.rc}")


def _signal_case(sig: int) -> Callable[[Ctx], Outcome]:
    def run_case(ctx: Ctx) -> Outcome:
        """Checkpoints only at the end: after the signal a checkpoint must exist, and --resume continues."""
        run = ctx / "run"
        job = ctx.background(*train_args(run, 100_000, "checkpoint_every=0", "log_every=1"))
        if not wait_for(lambda: stats_lines(run) >= 3, 90, job):
            ctx.finish_backgrounds()
            return Outcome(job.wait(1), problem="training did not start within 90 s")
        job.send(sig)
        stopped = job.wait(60)
        note = f"{signal.Signals(sig).name}: exit {stopped.rc}"
        if stopped.timed_out:
            return Outcome(stopped, problem=f"did not stop within 60 s of {signal.Signals(sig).name}", note=note)
        if latest_step(run) is None:
            return Outcome(stopped, lost=f"no checkpoint written on {signal.Signals(sig).name}", note=note)
        proc, wrong = resumable(ctx, run)
        return Outcome(proc, lost=wrong, note=note + f", stopped at step {latest_step(run)}")
    return run_case


add("training", "sigterm-saves-and-resumes", "handled", _signal_case(signal.SIGTERM), serial=True, timeout=240)
add("training", "sighup-saves-and-resumes", "handled", _signal_case(signal.SIGHUP), serial=True, timeout=240)
add("training", "sigint-saves-and-resumes", "handled", _signal_case(signal.SIGINT), serial=True, timeout=240)


@case("training", "handled", serial=True, timeout=240)
def kill_9_then_resume(ctx: Ctx) -> Outcome:
    run = ctx / "run"
    job = ctx.background(*train_args(run, 100_000, "checkpoint_every=3", "log_every=1"))
    if not wait_for(lambda: (latest_step(run) or 0) >= 3 and stats_lines(run) >= 5, 90, job):
        ctx.finish_backgrounds()
        return Outcome(job.wait(1), problem="no checkpoint within 90 s")
    job.send(signal.SIGKILL)
    job.wait(30)
    proc, wrong = resumable(ctx, run)
    return Outcome(proc, lost=wrong) if proc else Outcome(job.wait(1), lost=wrong)


@case("training", "handled", serial=True)
def stale_lock_of_dead_process(ctx: Ctx) -> Outcome:
    run = copy_run(ctx)
    (run / ".artgan.lock").write_text(json.dumps({"pid": 4_000_000, "host": socket.gethostname(), "since": "2020-01-01T00:00:00"}))
    proc, wrong = resumable(ctx, run)
    return Outcome(proc, wrong)


@case("training", "handled", serial=True)
def lock_file_naming_live_unrelated_pid(ctx: Ctx) -> Outcome:
    """The file names a live process (pid 1) that holds no lock: not a refusal where locks are real."""
    run = copy_run(ctx)
    (run / ".artgan.lock").write_text(json.dumps({"pid": 1, "host": socket.gethostname(), "since": "2020-01-01T00:00:00"}))
    proc, wrong = resumable(ctx, run)
    return Outcome(proc, wrong)


@case("training", "refused")
def out_is_a_file(ctx: Ctx) -> Outcome:
    (ctx / "run").write_text("not a folder\n")
    proc = ctx.artgan(*train_args(ctx / "run", 2))
    return Outcome(proc, lost=None if (ctx / "run").read_text() == "not a folder\n" else "the file was replaced")


@case("training", "either")
def out_is_a_folder_of_photos(ctx: Ctx) -> Outcome:
    """--out names a folder that already holds other files: they must survive."""
    folder = ctx / "holiday"
    folder.mkdir()
    for i in range(3):
        write_picture(folder / f"p{i}.jpg", seed=i)
    before = snapshot(folder)
    proc = ctx.artgan(*train_args(folder, 2))
    return Outcome(proc, lost=lost_if(changed(before, folder), "files in --out changed"))


@case("training", "refused")
def train_again_without_resume(ctx: Ctx) -> Outcome:
    """A fresh start on an existing run must not throw its checkpoints away."""
    run = copy_run(ctx)
    before = snapshot(run)
    proc = ctx.artgan(*train_args(run, 2))
    return Outcome(proc, lost=lost_if(changed(before, run), "existing run changed"))


# ============================================================================= plugins
PLUGIN_BASE = '''
from dataclasses import dataclass
from pathlib import Path

from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Preset, Verb


@dataclass
class Cfg:
    size: int = 4  # nothing real


@dataclass
class Opts:
    n: int = 1


def _generate(model, options, inputs, generator):
    raise NotImplementedError


class Base(Plugin):
    name = "fakeplug"
    Config = Cfg
    roles = ("G", "D")
    verbs = (Verb("generate", _generate, Opts, Images),)

    def phases(self, config):
        return [Phase("D", ("D",)), Phase("G", ("G",))]

    def build(self, config):
        raise NotImplementedError

    def dataset(self, source, config):
        raise NotImplementedError

    def loss(self, phase, nets, batch, config):
        raise NotImplementedError

    def preview(self, nets, config, batch, generator):
        raise NotImplementedError
'''

PLUGINS: dict[str, tuple[str, str, str]] = {  # variant: (entry-point name, "module:attr", module body)
    "import-calls-sys-exit": ("fakeplug", "fakeplug_mod:plugin", 'import sys\nsys.exit("fakeplug: no")\n'),
    "import-raises": ("fakeplug", "fakeplug_mod:plugin", 'raise RuntimeError("fakeplug cannot start")\n'),
    "config-raises": ("fakeplug", "fakeplug_mod:plugin", PLUGIN_BASE + textwrap.dedent('''
        @dataclass
        class Bad:
            size: int = 4  # nothing real

            def __post_init__(self):
                raise RuntimeError("Config() needs a licence server")


        class P(Base):
            Config = Bad


        plugin = P()
        ''')),
    "name-raises": ("fakeplug", "fakeplug_mod:plugin", PLUGIN_BASE + textwrap.dedent('''
        class P(Base):
            @property
            def name(self):
                raise RuntimeError("name lookup hit the network")


        plugin = P()
        ''')),
    "preset-not-a-preset": ("fakeplug", "fakeplug_mod:plugin", PLUGIN_BASE + textwrap.dedent('''
        class P(Base):
            presets = (42, "digits")


        plugin = P()
        ''')),
    "preset-bad-fields": ("fakeplug", "fakeplug_mod:plugin", PLUGIN_BASE + textwrap.dedent('''
        class P(Base):
            presets = (Preset(tag="Bad Tag/..", task="", sha256="xyz", licence="", description="",
                              path=Path("/nonexistent/checkpoint")),)


        plugin = P()
        ''')),
    "takes-the-name-mlp": ("mlp", "fakeplug_mod:plugin", PLUGIN_BASE + textwrap.dedent('''
        class P(Base):
            name = "mlp"
            presets = (Preset(tag="digits", task="generate", sha256="0" * 64, licence="none", description="an impostor",
                              path=Path("/nonexistent/checkpoint")),)


        plugin = P()
        ''')),
    "import-sleeps-3s": ("fakeplug", "fakeplug_mod:plugin", "import time\ntime.sleep(3)\n" + PLUGIN_BASE + "\nplugin = Base()\n"),
    "missing-module": ("fakeplug", "no_such_module_xyz:plugin", ""),
    "missing-attribute": ("fakeplug", "fakeplug_mod:nosuch", PLUGIN_BASE + "\nplugin = Base()\n"),
    "not-a-plugin-object": ("fakeplug", "fakeplug_mod:plugin", 'plugin = "just a string"\n'),
}


def install_plugin(ctx: Ctx, variant: str) -> dict[str, str]:
    """A fake distribution on PYTHONPATH registering ``variant``; returns the case's environment."""
    entry_name, target, body = PLUGINS[variant]
    site = ctx / "site"
    info = site / "fakeplug-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[artgan.plugins]\n{entry_name} = {target}\n")
    if body:
        (site / "fakeplug_mod.py").write_text(body)
    env = dict(ctx.env)
    env["PYTHONPATH"] = str(site)
    return env


def _mlp_row_ok(listing: str) -> bool:
    return any(line.split()[:2] == ["mlp", "ok"] for line in listing.splitlines() if line.strip())


def plugin_case(variant: str, command: str) -> Callable[[Ctx], Outcome]:
    def run_case(ctx: Ctx) -> Outcome:
        env = install_plugin(ctx, variant)
        if command == "plugins":
            proc = ctx.artgan("plugins", env=env)
            text = proc.stdout.decode(errors="replace")
            rows = [line for line in text.splitlines() if "fakeplug 0.1" in line]
            problems = text.partition("problems:")[2]
            problem = None
            if proc.rc != 0:
                pass
            elif not _mlp_row_ok(text):
                problem = "the real mlp plugin is not listed as ok"
            elif variant == "import-sleeps-3s":
                problem = None if rows and " ok " in rows[0] else "the slow but sound plugin is not listed as ok"
            elif not rows or "broken" not in rows[0]:
                problem = "the plugin is not listed as broken"
            elif "fakeplug" not in problems:
                problem = "no reason given under 'problems:'"
            return Outcome(proc, problem)
        if command == "models":
            proc = ctx.artgan("models", env=env)
            ok = proc.rc != 0 or "mlp.digits" in proc.stdout.decode(errors="replace")
            return Outcome(proc, None if ok else "mlp.digits is not listed")
        assert ctx.fixtures is not None
        reference = ctx.fixtures.get("digits")
        proc = ctx.artgan(*GEN, "-o", ctx / "x.png", env=env)
        problem = None
        if proc.rc == 0:
            problem = image_problem(ctx / "x.png", (28, 28))
            if problem is None and not same_pixels(pixels(ctx / "x.png"), reference):
                problem = "the picture is not mlp.digits' (another plugin answered)"
        note = ""
        if variant == "import-sleeps-3s" and proc.rc == 0:
            plain = ctx.artgan(*GEN, "-o", ctx / "plain.png")
            extra = proc.seconds - plain.seconds
            note = f"{proc.seconds:.1f} s vs {plain.seconds:.1f} s without the plugin"
            if extra > 1.5:
                problem = problem or f"the slow plugin's import costs generate {extra:.1f} s"
        return Outcome(proc, problem, note=note)
    return run_case


for _variant in PLUGINS:
    for _command in ("plugins", "models", "generate"):
        add("plugins", f"{_variant}/{_command}", "handled", plugin_case(_variant, _command),
            serial=_variant == "import-sleeps-3s" and _command == "generate")


# ============================================================================= the runner
def run_case(case: Case, root: Path, fixtures: Fixtures) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=case.category + "-", dir=root))
    ctx = Ctx(folder, fixtures, case.timeout)
    start = time.monotonic()
    try:
        outcome = case.run(ctx)
    except Exception as exc:  # noqa: BLE001 - a corpus error is recorded, not raised
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        outcome = Outcome(None, problem=f"corpus error: {detail}"[:200])
    finally:
        ctx.finish_backgrounds()
    got, reason, last_line = classify(outcome, ctx.procs)
    last_line = last_line.replace(str(folder) + os.sep, "").replace(str(folder), ".")
    return {
        "case": case.name, "category": case.category, "expected": case.expect, "got": got,
        "met": got == "skipped" or got in EXPECTS[case.expect],
        "lost": outcome.lost, "seconds": round(time.monotonic() - start, 2),
        "peak_mb": round(max((p.peak_mb for p in ctx.procs), default=0.0)),
        "reason": reason, "note": outcome.note, "last_line": last_line,
        "commands": [" ".join(p.args[p.args.index("artgan") + 1:]) if "artgan" in p.args else " ".join(p.args)
                     for p in ctx.procs],
    }


def print_table(rows: list[dict[str, Any]], out: Any = sys.stdout) -> None:
    header = ["case", "category", "expected", "got", "lost", "s", "MB", "stderr's last line / why"]
    cells = []
    for row in rows:
        detail = row["last_line"]
        if row["reason"]:
            detail = f"[{row['reason']}] {detail}"
        if row["lost"]:
            detail = f"[lost: {row['lost']}] {detail}"
        if row["note"]:
            detail = f"{detail} ({row['note']})"
        detail = detail.strip()
        cells.append([row["case"], row["category"], row["expected"], row["got"] + ("" if row["met"] else " !"),
                      "LOST" if row["lost"] else "-", f"{row['seconds']:.1f}", str(row["peak_mb"]),
                      detail[:100] + ("…" if len(detail) > 100 else "")])
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header) - 1)]
    for line in [header, ["-" * w for w in widths] + ["-" * 24], *cells]:
        out.write("  ".join(str(c).ljust(w) for c, w in zip(line, widths)) + "  " + line[-1] + "\n")


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {key: sum(r["got"] == key for r in rows) for key in ("handled", "refused", "failed", "skipped")}
    counts["data lost"] = sum(bool(r["lost"]) for r in rows)
    counts["not as expected"] = sum(not r["met"] for r in rows)
    counts["cases"] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], help="run cases whose category/name contains this (repeatable)")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (timing-sensitive ones always alone)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per command unless a case says more")
    parser.add_argument("--memory", type=float, default=6.0, help="GB of memory each case sees (0: the machine's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (their path is printed)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    SETTINGS.update(memory_gb=args.memory, timeout=args.timeout)

    chosen = [c for c in CASES if not args.only or any(o in f"{c.category}/{c.name}" for o in args.only)]
    if args.list:
        for c in chosen:
            print(f"{c.category:12} {c.name:45} {c.expect}{'  (alone)' if c.serial else ''}")
        return 0
    if not chosen:
        print(f"no case matches {args.only}", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="artgan-corpus-"))
    fixtures = Fixtures(root / "fixtures")
    rows: dict[int, dict[str, Any]] = {}
    order = {id(c): i for i, c in enumerate(chosen)}
    start = time.monotonic()

    def one(c: Case) -> None:
        row = run_case(c, root, fixtures)
        rows[order[id(c)]] = row
        mark = "" if row["met"] else " !"
        lost = "  LOST" if row["lost"] else ""
        print(f"[{len(rows):3}/{len(chosen)}] {row['category']}/{row['case']}: {row['got']}{mark}{lost} "
              f"({row['seconds']:.1f} s)", file=sys.stderr, flush=True)

    try:
        parallel = [c for c in chosen if not c.serial]
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            list(pool.map(one, parallel))
        for c in chosen:
            if c.serial:
                one(c)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    ordered = [rows[i] for i in sorted(rows)]
    print_table(ordered)
    counts = totals(ordered)
    print("\n" + ", ".join(f"{key}: {value}" for key, value in counts.items()) + f"; {time.monotonic() - start:.0f} s")
    if args.keep:
        print(f"folders kept in {root}")
    if args.json:
        args.json.write_text(json.dumps({"totals": counts, "rows": ordered}, indent=1) + "\n")
    return 1 if counts["failed"] or counts["data lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
