"""Data-parallel training: two CPU processes under torchrun (gloo) for a few steps."""

import json
import subprocess
import sys

from artgan import checkpoint as ckpt
from conftest import TINY_MLP


def test_torchrun_two_processes_train_one_run(tmp_path):
    run = tmp_path / "run"
    overrides = sum((["-c", o] for o in TINY_MLP + ["log_every=1", "sample_every=2", "checkpoint_every=2"]), [])
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "artgan", "train", "mlp", "--data", "builtin:digits", "--steps", "4", "--out", str(run),
         "--device", "cpu", "--quiet", *overrides],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("checkpoint ") == 1, "only rank 0 prints the result line"
    lines = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3, 4], "only rank 0 writes stats"
    assert all(line["world_size"] == 2 for line in lines)
    meta = ckpt.find_checkpoint(run).meta
    assert meta["world_size"] == 2 and meta["images_seen"] == 4 * 4 * 2
    assert len(ckpt.find_checkpoint(run).training_state()["rng"]) == 2, "each process's random state is kept"
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-0000002.png", "step-0000004.png"]
    # the run resumes on one process too (random streams restart, with a warning)
    resumed = subprocess.run(
        [sys.executable, "-m", "artgan", "train", "--out", str(run), "--resume", "--steps", "5", "--quiet", "--device", "cpu"],
        capture_output=True, text=True, timeout=120,
    )
    assert resumed.returncode == 0 and "random streams restart" in resumed.stderr, resumed.stderr
