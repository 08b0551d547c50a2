"""Training runs and checkpoints lose nothing: one training per run folder, damaged files are
caught before use, SIGHUP saves, ``latest`` stays inside the run, settings are checked."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch
from click.testing import CliRunner

from artgan import checkpoint as ckpt
from artgan import runlock
from artgan.api import train
from artgan.cli import cli
from artgan.engine import loop
from artgan.engine.progress import Progress, StopRequest
from artgan.errors import ArtganError
from conftest import TINY_MLP

QUIET = TINY_MLP + ["log_every=1", "sample_every=0", "checkpoint_every=1", "keep_checkpoints=3"]


def _train(run, steps, **kwargs):
    if kwargs.get("resume"):
        return train(None, None, run, steps=steps, device="cpu", progress=False, **kwargs)
    return train("mlp", "builtin:digits", run, steps=steps, config=QUIET, device="cpu", progress=False, **kwargs)


def _damage(file, size=4096):
    """Overwrite ``size`` bytes in the middle of ``file`` (its length unchanged), as bad disks do."""
    data = bytearray(file.read_bytes())
    start = max(len(data) // 2 - size // 2, 0)
    data[start:start + size] = bytes(b ^ 0xFF for b in data[start:start + size])
    file.write_bytes(bytes(data))


def _weights(path):
    trained, ema = ckpt.find_checkpoint(path).read_weights()
    return {f"{r}/{k}": v for r, sd in {**trained, **{f"ema:{r}": s for r, s in ema.items()}}.items() for k, v in sd.items()}


# --------------------------------------------------------------------------- 1. the run lock
HOLDER = ("import sys, time; from artgan.runlock import RunLock\n"
          "with RunLock(sys.argv[1]):\n    print('locked', flush=True); sys.stdin.read()\n")


def _hold(run):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_training_on_a_run_in_use_is_refused_naming_the_holder(tmp_path):
    run = tmp_path / "run"
    _train(run, 1)
    holder = _hold(run)
    try:
        with pytest.raises(ArtganError, match=rf"in use by another training \(process {holder.pid} on ") as caught:
            _train(run, 3, resume=True)
        assert str(run) in str(caught.value) and "--resume" in str(caught.value)
        with pytest.raises(ArtganError, match=f"process {holder.pid}"):
            _train(tmp_path / "run", 2)  # a new run on the same --out, too
        assert ckpt.find_checkpoint(run).step == 1, "the refused runs wrote nothing"
    finally:
        holder.kill()  # kill -9: the operating system drops the lock
        holder.wait()
    assert (run / runlock.LOCK_FILE).exists(), "a killed holder leaves its file behind..."
    assert _train(run, 2, resume=True).name == "step-0000002", "...which is no lock"
    assert not (run / runlock.LOCK_FILE).exists(), "a finished run gives its lock back"


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "no-fcntl"])
def test_a_lock_file_left_by_a_dead_process_is_no_refusal(tmp_path, monkeypatch, flock):
    if not flock:
        monkeypatch.setattr(runlock, "fcntl", None)
    run = tmp_path / "run"
    run.mkdir()
    (run / runlock.LOCK_FILE).write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}))
    assert _train(run, 1).name == "step-0000001"
    assert not (run / runlock.LOCK_FILE).exists()
    with pytest.raises(ArtganError, match="say where the training data is"):
        train("mlp", None, tmp_path / "fresh", steps=1, config=QUIET, device="cpu", progress=False)
    assert not (tmp_path / "fresh").exists(), "a refused start leaves no folder (nor lock) behind"


def test_without_fcntl_a_live_holder_is_refused_and_its_death_frees_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(runlock, "fcntl", None)
    run = tmp_path / "run"
    run.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / runlock.LOCK_FILE).write_text(json.dumps({"pid": sleeper.pid, "host": socket.gethostname()}))
        with pytest.raises(ArtganError, match=rf"process {sleeper.pid} on .*delete .*{runlock.LOCK_FILE}"):
            _train(run, 1)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert _train(run, 1).name == "step-0000001"


def test_under_torchrun_only_rank_0_takes_the_lock(tmp_path, monkeypatch):
    run = tmp_path / "run"
    with runlock.RunLock(run):  # another open file of this process conflicts like another process
        monkeypatch.setenv("WORLD_SIZE", "2")
        monkeypatch.setenv("RANK", "1")
        with loop._run_lock(run):
            pass
        monkeypatch.setenv("RANK", "0")
        with pytest.raises(ArtganError, match="in use by another training"):
            with loop._run_lock(run):
                pass


# --------------------------------------------------------------------------- 2. damaged weights
def test_damaged_weights_given_by_path_are_an_error_not_a_black_picture(tmp_path):
    run = tmp_path / "run"
    _train(run, 2)
    newest = run / "checkpoints" / "step-0000002"
    _damage(newest / ckpt.WEIGHTS_FILE)
    with pytest.raises(ArtganError, match=rf"^damaged checkpoint: {newest}: model.safetensors sha256 mismatch"):
        ckpt.find_checkpoint(newest).read_weights()
    result = CliRunner().invoke(cli, ["generate", str(newest), "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "artgan: error: damaged checkpoint:" in result.output, result.output
    assert not (tmp_path / "x.png").exists()


def test_resume_falls_back_to_the_newest_intact_checkpoint_and_continues_the_same_run(tmp_path, warnings_logged):
    _train(tmp_path / "whole", 3)
    run = tmp_path / "run"
    _train(run, 2)
    _damage(run / "checkpoints" / "step-0000002" / ckpt.WEIGHTS_FILE)
    assert ckpt.find_checkpoint(run).step == 1, "a run folder gives its newest intact checkpoint"
    [warning] = warnings_logged
    assert "damaged checkpoint:" in warning and "step-0000002" in warning and "step-0000001" in warning
    _train(run, 3, resume=True)
    assert any("step-0000002" in m and "sha256 mismatch" in m for m in warnings_logged[1:])
    wa, wb = _weights(tmp_path / "whole"), _weights(run)
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=0, atol=1e-6, msg=key)
    assert ckpt.find_checkpoint(run / "checkpoints" / "step-0000002").read_weights(), "the damaged one was rewritten"


def test_damaged_training_state_is_caught_and_resume_falls_back(tmp_path, warnings_logged):
    run = tmp_path / "run"
    _train(run, 2)
    newest = run / "checkpoints" / "step-0000002"
    _damage(newest / ckpt.STATE_FILE)
    with pytest.raises(ArtganError, match=rf"^damaged checkpoint: {newest}: training_state.pt sha256 mismatch"):
        ckpt.find_checkpoint(newest).training_state()
    assert ckpt.run_checkpoint(run, resumable=True).step == 1
    assert ckpt.run_checkpoint(run).step == 2, "generating needs only intact weights"
    for one in ("step-0000001", "step-0000002"):
        _damage(run / "checkpoints" / one / ckpt.WEIGHTS_FILE)
    with pytest.raises(ArtganError, match=r"^damaged checkpoint: .*step-0000002.*no intact older checkpoint"):
        _train(run, 3, resume=True)


def test_checkpoints_written_before_hashes_were_recorded_still_load_and_resume(tmp_path):
    run = tmp_path / "run"
    _train(run, 1)
    config = run / "checkpoints" / "step-0000001" / "config.json"
    meta = json.loads(config.read_text())
    config.write_text(json.dumps({k: v for k, v in meta.items() if k not in (ckpt.WEIGHTS_HASH, ckpt.STATE_HASH)}))
    assert ckpt.find_checkpoint(run).read_weights()[0].keys() == {"G", "D"}
    assert _train(run, 2, resume=True).name == "step-0000002"
    assert ckpt.STATE_HASH in json.loads((run / "checkpoints" / "step-0000002" / "config.json").read_text())


def test_older_checkpoints_are_kept_while_the_new_one_does_not_read_back(tmp_path, monkeypatch):
    run = tmp_path / "run"
    _train(run, 1)
    real_save = ckpt.save_checkpoint

    def save_on_a_failing_disk(directory, *args, **kwargs):
        target = real_save(directory, *args, **kwargs)
        _damage(target / ckpt.WEIGHTS_FILE, 64)
        return target

    monkeypatch.setattr(ckpt, "save_checkpoint", save_on_a_failing_disk)
    meta = {"kind": "training", "plugin": "mlp", "model_config": {}, "train_config": {}, "step": 2}
    with pytest.raises(ArtganError, match="step-0000002.*sha256 mismatch.*older checkpoints are kept"):
        ckpt.save_run_checkpoint(run, 2, 1, meta=meta, weights={"G": {"w": torch.ones(64)}}, training_state={"step": 2})
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-0000001"
    assert ckpt.find_checkpoint(run / "checkpoints" / "step-0000001").read_weights()


def test_one_load_hashes_each_file_once(tmp_path, monkeypatch):
    run = tmp_path / "run"
    _train(run, 1)
    read: list[str] = []
    real_open = open

    def counting_open(file, mode="r", *args, **kwargs):
        if "b" in mode and "r" in mode:
            read.append(os.path.basename(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(ckpt, "open", counting_open, raising=False)
    ckpt._HASHES.clear()  # forget what the save itself checked
    found = ckpt.run_checkpoint(run, resumable=True)  # checks both files
    found.read_weights()
    found.training_state()
    assert sorted(read) == [ckpt.WEIGHTS_FILE, ckpt.STATE_FILE]


# --------------------------------------------------------------------------- 3. SIGHUP
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_asks_the_run_to_save_and_stop_like_sigterm(warnings_logged):
    got: list[int] = []
    previous = signal.signal(signal.SIGHUP, lambda signum, frame: got.append(signum))  # kept if nobody takes over
    try:
        with StopRequest() as stop:
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.01)
            assert stop.requested and not got
        assert "terminal was closed" in warnings_logged[0] and "saving a checkpoint" in warnings_logged[0]
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(0.01)
        assert got == [signal.SIGHUP], "the previous handler is back afterwards"
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_progress_bar_whose_pipe_broke_does_not_end_the_run():
    """``artgan train ... | tee log`` over ssh: the dropped session kills tee, writes then fail
    with EPIPE (tqdm itself only absorbs EIO); the run must still reach its checkpoint."""
    from tqdm import tqdm

    class Pipe:
        broken = False

        def write(self, text):
            if self.broken:
                raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            self.write("")

    pipe = Pipe()
    bar = Progress(total=10, initial=0, enabled=False)
    bar.bar = tqdm(total=10, file=pipe, mininterval=0, miniters=1)
    bar.advance()
    pipe.broken = True
    bar.advance()
    bar.show({"G/loss": 1.0})
    bar.advance()
    bar.close()
    assert bar.bar is None


# --------------------------------------------------------------------------- 4. latest stays inside
@pytest.mark.parametrize("pointer", ["../../elsewhere", "ABSOLUTE", "step-0000001/../../../elsewhere"])
def test_latest_naming_anything_but_a_checkpoint_of_the_run_is_ignored(tmp_path, warnings_logged, pointer):
    run = tmp_path / "run"
    _train(run, 2)
    elsewhere = tmp_path / "elsewhere"
    ckpt.save_checkpoint(elsewhere, {"kind": "export", "plugin": "mlp", "model_config": {}, "step": 99}, {"G": {"w": torch.zeros(1)}})
    text = str(elsewhere) if pointer == "ABSOLUTE" else pointer
    (run / "checkpoints" / "latest").write_text(text + "\n")
    assert ckpt.latest_checkpoint_dir(run) == run / "checkpoints" / "step-0000002"
    assert ckpt.find_checkpoint(run).step == 2
    assert "not a checkpoint of this run" in warnings_logged[0] and repr(text) in warnings_logged[0]


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_step_folder_that_leads_out_of_the_run_is_ignored(tmp_path):
    run = tmp_path / "run"
    _train(run, 1)
    outside = tmp_path / "outside"
    ckpt.save_checkpoint(outside, {"kind": "export", "plugin": "mlp", "model_config": {}, "step": 9}, {"G": {"w": torch.zeros(1)}})
    (run / "checkpoints" / "step-0000009").symlink_to(outside, target_is_directory=True)
    assert ckpt.find_checkpoint(run).step == 1


# --------------------------------------------------------------------------- 5. --steps is the total
def test_resuming_with_fewer_steps_than_done_is_refused(tmp_path):
    run = tmp_path / "run"
    _train(run, 3)
    with pytest.raises(ArtganError, match=r"already at step 3.*--steps is the run's total.*more than 3"):
        _train(run, 2, resume=True)
    assert ckpt.find_checkpoint(run).step == 3
    assert _train(run, 3, resume=True).name == "step-0000003", "the same total again is fine (nothing to do)"


# --------------------------------------------------------------------------- 6. damaged config.json
VALID = {"format": "artgan-checkpoint", "format_version": 1, "kind": "training", "plugin": "mlp",
         "model_config": {}, "train_config": {}, "step": 1}
BROKEN = {
    "not JSON": "{not json",
    "a list": "[1, 2]",
    "a string": '"hello"',
    "no plugin": {k: v for k, v in VALID.items() if k != "plugin"},
    "plugin not text": {**VALID, "plugin": 3},
    "model_config a list": {**VALID, "model_config": [1]},
    "no model_config": {k: v for k, v in VALID.items() if k != "model_config"},
    "training without train_config": {k: v for k, v in VALID.items() if k != "train_config"},
    "train_config a string": {**VALID, "train_config": "x"},
    "step not a number": {**VALID, "step": "12"},
    "format_version text": {**VALID, "format_version": "1"},
    "sha256 a number": {**VALID, "sha256": 5},
    "no format": {k: v for k, v in VALID.items() if k != "format"},
}


@pytest.mark.parametrize("content", BROKEN.values(), ids=BROKEN.keys())
def test_a_damaged_config_json_is_a_damaged_checkpoint_error(tmp_path, content):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "config.json").write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ArtganError, match=rf"^damaged checkpoint: {folder}: config.json "):
        ckpt.load_meta(folder)
    with pytest.raises(ArtganError, match=rf"^damaged checkpoint: {folder}: config.json "):
        ckpt.find_checkpoint(folder)


def test_checkpoint_fields_of_the_wrong_type_are_damage_not_a_crash(tmp_path):
    for meta in ({"plugin": ["mlp"]}, {"step": "3"}, {"step": None}):
        bad = ckpt.Checkpoint(tmp_path, meta)
        with pytest.raises(ArtganError, match=rf"^damaged checkpoint: {tmp_path}: "):
            bad.plugin if "plugin" in meta else bad.step
    with pytest.raises(ArtganError, match="^damaged checkpoint:"):
        ckpt.Checkpoint(tmp_path, []).plugin  # type: ignore[arg-type]


@pytest.mark.parametrize("edit", [
    lambda meta: meta.update(train_config=[1]),
    lambda meta: meta["train_config"].update(batch_size="many"),
    lambda meta: meta["model_config"].update(z_dim=[8]),
    lambda meta: meta.pop("model_config"),
], ids=["train_config a list", "batch_size text", "z_dim a list", "no model_config"])
def test_resuming_a_run_whose_config_json_is_damaged_is_one_clear_error(tmp_path, edit):
    run = tmp_path / "run"
    train("mlp", "builtin:digits", run, steps=1, config=QUIET, device="cpu", progress=False)
    config = run / "checkpoints" / "step-0000001" / "config.json"
    meta = json.loads(config.read_text())
    edit(meta)
    config.write_text(json.dumps(meta))
    result = CliRunner().invoke(cli, ["train", "--out", str(run), "--resume", "--steps", "2", "--device", "cpu", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "artgan: error: damaged checkpoint: " in result.output and "step-0000001" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- 7. permissions
def test_everything_a_run_writes_follows_the_umask(tmp_path):
    run = tmp_path / "run"
    old = os.umask(0o022)
    try:
        train("mlp", "builtin:digits", run, steps=2, config=TINY_MLP + ["sample_every=1", "checkpoint_every=1"],
              device="cpu", progress=False)
    finally:
        os.umask(old)
    files = {p.relative_to(run).as_posix(): p.stat().st_mode & 0o777 for p in run.rglob("*") if p.is_file()}
    assert {"stats.jsonl", "checkpoints/latest", "samples/step-0000001.png",
            "checkpoints/step-0000002/model.safetensors", "checkpoints/step-0000002/training_state.pt"} <= files.keys()
    assert {name: mode for name, mode in files.items() if mode != 0o644} == {}
    folders = {p.relative_to(run).as_posix(): p.stat().st_mode & 0o777 for p in run.rglob("*") if p.is_dir()}
    assert {name: mode for name, mode in folders.items() if mode != 0o755} == {}
