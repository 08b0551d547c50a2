import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from artgan import checkpoint as ckpt
from artgan.api import train
from artgan.engine.data import InfiniteSampler
from artgan.engine.ema import EMA
from artgan.engine.runtime import resolve_precision, select_device
from artgan.errors import ArtganError
from conftest import TINY_MLP

QUIET = TINY_MLP + ["log_every=1", "sample_every=0", "checkpoint_every=0"]


def _weights(run):
    trained, ema = ckpt.find_checkpoint(run).read_weights()
    return {f"{role}/{k}": v for role, sd in {**trained, **{f"ema:{r}": s for r, s in ema.items()}}.items() for k, v in sd.items()}


def _losses(run):
    return [{k: v for k, v in json.loads(line).items() if "/" in k} for line in (run / "stats.jsonl").read_text().splitlines()]


def _assert_same_run(a, b):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=0, atol=1e-6, msg=key)
    sa = ckpt.find_checkpoint(a).training_state()
    sb = ckpt.find_checkpoint(b).training_state()
    assert sa["step"] == sb["step"]
    for key, opt in sa["optimizers"].items():
        for pid, state in opt["state"].items():
            torch.testing.assert_close(state["exp_avg"], sb["optimizers"][key]["state"][pid]["exp_avg"], rtol=0, atol=1e-6)
    la, lb = _losses(a), _losses(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert x.keys() == y.keys() and all(abs(x[k] - y[k]) < 1e-5 for k in x)


def test_n_steps_then_resume_m_steps_equals_n_plus_m(tmp_path):
    train("mlp", "builtin:digits", tmp_path / "once", steps=12, config=QUIET, device="cpu", progress=False)
    train("mlp", "builtin:digits", tmp_path / "twice", steps=5, config=QUIET, device="cpu", progress=False)
    train(None, None, tmp_path / "twice", steps=12, resume=True, device="cpu", progress=False)
    _assert_same_run(tmp_path / "once", tmp_path / "twice")


def test_a_run_saved_before_a_setting_existed_resumes_with_its_default(tmp_path):
    run = tmp_path / "run"
    train("mlp", "builtin:digits", run, steps=2, config=QUIET, device="cpu", progress=False)
    config = ckpt.find_checkpoint(run).path / ckpt.CONFIG_FILE
    meta = json.loads(config.read_text())
    del meta["model_config"]["label_smoothing"]  # as written by a version without the setting
    config.write_text(json.dumps(meta))
    train(None, None, run, steps=4, resume=True, device="cpu", progress=False)
    assert ckpt.find_checkpoint(run).step == 4


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_same_run(tmp_path):
    args = ["--steps", "2500", "--quiet", *sum((["-c", o] for o in TINY_MLP + ["log_every=5", "sample_every=0", "checkpoint_every=0"]), [])]
    cmd = [sys.executable, "-m", "artgan", "train", "mlp", "--data", "builtin:digits", *args]
    proc = subprocess.Popen([*cmd, "--out", str(tmp_path / "cut")], stderr=subprocess.PIPE, text=True)
    stats = tmp_path / "cut" / "stats.jsonl"
    deadline = time.time() + 60
    while not (stats.exists() and stats.read_text().count("\n") >= 2) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    stopped = ckpt.find_checkpoint(tmp_path / "cut").step
    assert 0 < stopped < 2500, "the run should have been stopped part-way"
    assert "--resume" in err
    subprocess.run([*cmd, "--out", str(tmp_path / "cut"), "--resume"], check=True, capture_output=True)
    subprocess.run([*cmd, "--out", str(tmp_path / "whole")], check=True, capture_output=True)
    _assert_same_run(tmp_path / "whole", tmp_path / "cut")


def test_sigkill_while_checkpointing_leaves_a_loadable_checkpoint(tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "artgan", "train", "mlp", "--data", "builtin:digits", "--steps", "100000", "--quiet",
           "--out", str(run), *sum((["-c", o] for o in TINY_MLP + ["checkpoint_every=1", "keep_checkpoints=2"]), [])]
    for attempt in range(3):
        proc = subprocess.Popen(cmd + (["--resume"] if attempt else []), stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        before = ckpt.latest_checkpoint_dir(run)
        while time.time() < deadline and ckpt.latest_checkpoint_dir(run) in (None, before):
            time.sleep(0.01)
        time.sleep(0.05 * (attempt + 1))
        proc.kill()
        proc.wait()
        found = ckpt.find_checkpoint(run)
        trained, _ = found.read_weights()
        assert set(trained) == {"G", "D"}
        assert found.training_state()["step"] == found.step


def test_interrupted_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    run = tmp_path / "run"
    train("mlp", "builtin:digits", run, steps=2, config=QUIET, device="cpu", progress=False)
    first = ckpt.find_checkpoint(run)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        train(None, None, run, steps=4, resume=True, device="cpu", progress=False)
    after = ckpt.find_checkpoint(run)
    assert after.path == first.path and after.read_weights()[0].keys() == {"G", "D"}
    assert not list((run / "checkpoints").glob(".tmp-*"))


def test_checkpoint_files_get_the_permissions_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        folder = ckpt.save_checkpoint(tmp_path / "c", {"step": 0}, {"G": {"w": torch.zeros(2)}}, training_state={"x": 1})
    finally:
        os.umask(old)
    modes = {file.name: file.stat().st_mode & 0o777 for file in folder.iterdir()}
    assert modes == {"config.json": 0o644, "model.safetensors": 0o644, "training_state.pt": 0o644}


def test_unreadable_image_mid_run_keeps_the_work_done(tmp_path):
    from artgan.images import write_random_images
    from lazy_plugin import plugin

    folder = tmp_path / "data"
    write_random_images(folder, count=4, size=(8, 8))
    (folder / "zz_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ArtganError, match="zz_broken.png"):
        train(plugin, folder, tmp_path / "run", steps=50, config=["batch_size=1", "checkpoint_every=0", "sample_every=0"], device="cpu", progress=False)
    assert ckpt.find_checkpoint(tmp_path / "run").step >= 0


def test_existing_run_is_not_overwritten_and_resume_needs_a_run(tmp_path):
    train("mlp", "builtin:digits", tmp_path / "run", steps=1, config=QUIET, device="cpu", progress=False)
    with pytest.raises(ArtganError, match="already holds a run"):
        train("mlp", "builtin:digits", tmp_path / "run", steps=2, config=QUIET, device="cpu", progress=False)
    with pytest.raises(ArtganError, match="nothing to resume"):
        train("mlp", "builtin:digits", tmp_path / "new", steps=2, resume=True, device="cpu", progress=False)
    with pytest.raises(ArtganError, match="cannot change when resuming"):
        train(None, None, tmp_path / "run", steps=2, config=["z_dim=9"], resume=True, device="cpu", progress=False)


def test_learning_rate_decays_linearly_to_zero(tmp_path):
    train("mlp", "builtin:digits", tmp_path / "run", steps=4, config=QUIET + ["lr_decay_start=0.5", "lr=0.1"], device="cpu", progress=False)
    lrs = [json.loads(line)["lr"]["G"] for line in (tmp_path / "run" / "stats.jsonl").read_text().splitlines()]
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05])


def test_samples_and_checkpoints_follow_their_schedules(tmp_path):
    run = tmp_path / "run"
    train("mlp", "builtin:digits", run, steps=6, config=TINY_MLP + ["sample_every=2", "checkpoint_every=2", "keep_checkpoints=2"], device="cpu", progress=False)
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-0000002.png", "step-0000004.png", "step-0000006.png"]
    assert sorted(p.name for p in (run / "checkpoints").glob("step-*")) == ["step-0000004", "step-0000006"]
    meta = ckpt.find_checkpoint(run).meta
    assert meta["step"] == 6 and meta["plugin"] == "mlp" and meta["model_config"]["z_dim"] == 8
    assert meta["ema_roles"] == ["G"]


def test_ema_half_life_means_what_it_says():
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    ema = EMA({"G": net}, half_life_kimg=0.01, rampup=0)  # 10 images
    torch.nn.init.ones_(net.weight)
    for step in range(10):
        ema.update(images_seen=step + 1, batch_images=1)
    assert ema.copies["G"].weight.item() == pytest.approx(0.5)
    assert EMA({"G": net}, half_life_kimg=10, rampup=0.05).beta(images_seen=100, batch_images=5) == pytest.approx(0.5)


def test_sampler_resumes_mid_epoch_and_splits_ranks():
    full = InfiniteSampler(10, seed=3)
    stream = [i for _, i in zip(range(25), iter(full))]
    assert sorted(stream[:10]) == list(range(10))
    resumed = InfiniteSampler(10, seed=3, start=13)
    assert [i for _, i in zip(range(12), iter(resumed))] == stream[13:]
    ranks = [[i for _, i in zip(range(5), iter(InfiniteSampler(10, seed=3, rank=r, world_size=2)))] for r in (0, 1)]
    assert sorted(ranks[0] + ranks[1]) == list(range(10))


def test_devices_and_precisions():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ArtganError, match="no CUDA GPU"):
            select_device("cuda")
        with pytest.raises(ArtganError, match="needs a CUDA GPU"):
            resolve_precision("fp16", torch.device("cpu"))
    with pytest.raises(ArtganError, match="not a device"):
        select_device("potato")
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"


def test_bf16_training_runs_on_cpu(tmp_path):
    final = train("mlp", "builtin:digits", tmp_path / "run", steps=2, config=QUIET + ["precision=bf16"], device="cpu", progress=False)
    trained, _ = ckpt.find_checkpoint(final).read_weights()
    assert all(torch.isfinite(t).all() for sd in trained.values() for t in sd.values())


def test_augmentation_of_discriminator_inputs_trains(tmp_path):
    final = train("mlp", "builtin:digits", tmp_path / "run", steps=2, config=QUIET + ["augment=translation,color,cutout,flip"], device="cpu", progress=False)
    assert ckpt.find_checkpoint(final).step == 2
    with pytest.raises(ArtganError, match="unknown policy"):
        train("mlp", "builtin:digits", tmp_path / "bad", steps=1, config=QUIET + ["augment=blur"], device="cpu", progress=False)


def test_colour_augmentation_leaves_alpha_alone():
    import torch

    from artgan.engine.augment import build_pipeline

    torch.manual_seed(0)
    for channels in (2, 4):
        images = torch.rand(8, channels, 16, 16)
        out = build_pipeline("color")(images)
        assert torch.equal(out[:, -1], images[:, -1]), "the alpha channel must pass untouched"
        assert not torch.allclose(out[:, 0], images[:, 0]), "the colour channels are jittered"
    rgb = torch.rand(8, 3, 16, 16)
    assert build_pipeline("color")(rgb).shape == rgb.shape
