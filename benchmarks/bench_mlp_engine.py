"""Engine overhead: MLP GAN training steps/s through ``artgan train`` vs a hand-written loop.

Both train the same model (the mlp plugin's networks, the seed's architecture) on the same
data (scikit-learn digits at 28×28), batch 64, Adam 2e-4/β1 0.5, non-saturating loss, fp32,
on the same device, in the same process. Every repeat runs every configuration once, the order
rotating from repeat to repeat, so machine noise (a shared machine: other processes come and
go) hits all alike. Throughput is measured between the first and last stats line of each run,
so set-up (data loading, the final checkpoint write) is excluded on both sides.

First it prints the machine (CPU model and flags: AVX2, AVX-512, AVX-512 bf16, AMX; torch's
kernels and threads) and the precision ``auto`` would pick for this model here; the benchmark
itself runs fp32 on both sides, so the comparison is of the loops, not of precisions.

The plain loop uses ``torch.optim.Adam`` as a hand-written loop would; the engine uses Adam's
fused kernel (``fused=True``) and checks finiteness by per-tensor sums, which is what keeps
its bookkeeping (EMA, non-finite checks, stats) within the overhead target.

    python benchmarks/bench_mlp_engine.py --steps 600 --repeats 4

Prints a table and the ratio engine/plain (1.00 = no overhead; the target: ≥ 0.90 with EMA on);
``--json`` for a record.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe, machine  # noqa: E402

import artgan  # noqa: E402
from artgan_mlp.data import digits  # noqa: E402
from artgan_mlp.model import Discriminator, Generator  # noqa: E402

BATCH = 64
WARMUP = 50  # steps excluded from timing on both sides


def plain_loop(steps: int, device: str) -> float:
    """The loop a PyTorch user would write by hand; returns steps/s after warm-up."""
    torch.manual_seed(0)
    G, D = Generator(100, (256, 512, 1024), 28).to(device), Discriminator((1024, 512, 256), 28).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(TensorDataset(digits(28)), batch_size=BATCH, shuffle=True, drop_last=True)
    step, start = 0, None
    while step < steps:
        for (real,) in loader:
            if step == WARMUP:
                start = time.perf_counter()
            real = real.to(device)
            z = torch.randn(BATCH, 100, device=device)
            with torch.no_grad():
                fake = G(z)
            loss_d = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            z = torch.randn(BATCH, 100, device=device)
            loss_g = F.softplus(-D(G(z))).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            step += 1
            if step % 50 == 0:
                loss_d.item()  # a hand-written loop prints losses now and then
            if step == steps:
                break
    return (steps - WARMUP) / (time.perf_counter() - start)


def engine(steps: int, device: str, ema: bool) -> float:
    """``artgan.train`` with the progress bar on; steps/s between first and last stats line."""
    with tempfile.TemporaryDirectory() as tmp:
        config = {"log_every": WARMUP, "sample_every": 0, "checkpoint_every": 0, "batch_size": BATCH, "precision": "fp32"}
        if not ema:
            config["ema_half_life_kimg"] = 0
        artgan.train("mlp", "builtin:digits", Path(tmp) / "run", steps=steps, config=config, device=device, progress=True)
        lines = [json.loads(line) for line in (Path(tmp) / "run" / "stats.jsonl").read_text().splitlines()]
    first, last = lines[0], lines[-1]
    return (last["step"] - first["step"]) / (last["time_s"] - first["time_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    facts = machine()
    try:
        from artgan.engine.runtime import choose_precision
        from artgan.registry import get_plugin

        chosen = choose_precision("auto", torch.device(args.device), getattr(get_plugin("mlp"), "train_precision", "fp32"))
        facts["precision_auto"], facts["precision_reason"] = chosen.precision, chosen.reason
    except (ImportError, AttributeError):
        facts["precision_auto"], facts["precision_reason"] = "fp32", "(an older checkout: no precision policy)"

    configs: dict[str, Callable[[], float]] = {
        "plain PyTorch loop": lambda: plain_loop(args.steps, args.device),
        "artgan engine, EMA off": lambda: engine(args.steps, args.device, ema=False),
        "artgan engine, EMA on (default)": lambda: engine(args.steps, args.device, ema=True),
    }
    names = list(configs)
    results: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(args.repeats):
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            results[name].append(configs[name]())
    medians = {k: statistics.median(v) for k, v in results.items()}
    plain = medians["plain PyTorch loop"]
    record = {
        "machine": facts, "device": args.device, "steps": args.steps, "repeats": args.repeats, "batch": BATCH,
        "steps_per_s": results, "median_steps_per_s": medians,
        "engine_over_plain": {k: v / plain for k, v in medians.items()},
    }
    if args.json:
        print(json.dumps(record, indent=2))
        return
    print(describe(facts), file=sys.stderr)
    print(f"precision auto would pick for mlp here: {facts['precision_auto']} ({facts['precision_reason']}); "
          f"this benchmark runs fp32 on both sides", file=sys.stderr)
    print(f"MLP GAN, batch {BATCH}, {args.steps} steps × {args.repeats} (interleaved, order rotating), {args.device}",
          file=sys.stderr)
    for name, values in results.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name:34s} median {medians[name]:6.1f} steps/s  ratio {medians[name] / plain:.3f}  (runs: {runs})")


if __name__ == "__main__":
    main()
