"""A data-parallel run lets go of its process group, so no gloo thread survives to exit."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY_MLP

SCRIPT = """
import os, sys
import artgan
artgan.train("mlp", "builtin:digits", sys.argv[1], steps=2, config=sys.argv[2:], device="cpu", progress=False)
threads = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
left = [name for name in threads if "gloo" in name]
print(f"rank {os.environ['RANK']}: gloo threads after training: {left}")
sys.exit(1 if left else 0)
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads thread names from Linux /proc")
def test_process_group_is_released_after_training(tmp_path):
    script = tmp_path / "train_and_count_threads.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script), str(tmp_path / "run"), *TINY_MLP],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.count("gloo threads after training: []") == 2, result.stdout
