"""The engine's contract details: lazy phases, final grids, preview batches, non-finite steps."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import Dataset

from artgan import checkpoint as ckpt
from artgan.engine.loop import train
from artgan.engine.progress import StopRequest
from artgan.errors import ArtganError
from artgan.plugin import Phase, Plugin

QUIET = {"batch_size": 2, "workers": 0, "log_every": 1, "sample_every": 0, "checkpoint_every": 0, "ema_half_life_kimg": 0}


@dataclass
class ToyConfig:
    z_dim: int = 4  # noise length
    reg_every: int = 0  # run a D regulariser phase every this many steps (0: none)
    reg2_every: int = 0  # a second D regulariser (0: none)


class Images(Dataset):
    def __init__(self) -> None:
        self.images = torch.rand(8, 3, 4, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class ToyPlugin(Plugin):
    """A tiny GAN whose losses can be made NaN on chosen calls of a phase."""

    name = "toy"
    Config = ToyConfig
    roles = ("G", "D")

    def __init__(self, nan_calls: dict[str, set[int]] | None = None) -> None:
        self.nan_calls = nan_calls or {}
        self.calls: dict[str, int] = {}
        self.previews: list = []

    def phases(self, config):
        phases = [Phase("D", ("D",)), Phase("G", ("G",))]
        if config.reg_every:
            phases.append(Phase("D_reg", ("D",), every=config.reg_every))
        if config.reg2_every:
            phases.append(Phase("D_reg2", ("D",), every=config.reg2_every))
        return phases

    def build(self, config):
        return {
            "G": nn.Sequential(nn.Linear(config.z_dim, 48), nn.Tanh(), nn.Unflatten(1, (3, 4, 4))),
            "D": nn.Sequential(nn.Flatten(), nn.Linear(48, 1), nn.Flatten(0)),
        }

    def dataset(self, source, config):
        return Images()

    def loss(self, phase, nets, batch, config):
        call = self.calls[phase] = self.calls.get(phase, 0) + 1
        z = torch.randn(batch.shape[0], config.z_dim)
        if phase == "D":
            loss = nn.functional.softplus(nets["D"](nets["G"](z).detach())).mean() + nn.functional.softplus(-nets["D"](batch)).mean()
        elif phase == "G":
            loss = nn.functional.softplus(-nets["D"](nets["G"](z))).mean()
        else:  # a regulariser worth 3.0 whose gradient is 1 for every weight of D
            total = sum(p.sum() for p in nets["D"].parameters())
            loss = total - total.detach() + 3.0
        if call in self.nan_calls.get(phase, ()):
            loss = loss * float("nan")
        return loss, {}

    def preview(self, nets, config, batch, generator):
        self.previews.append(batch)
        return nets["G"](torch.randn(16, config.z_dim, generator=generator))


def _train(plugin, run, steps, overrides=None, *, resume=False):
    settings = [] if resume else [f"{k}={v}" for k, v in {**QUIET, **(overrides or {})}.items()]
    return train(plugin, out=run, data="memory", steps=steps, overrides=settings, resume=resume, device="cpu", progress=False)


def _stats(run):
    return [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]


# --------------------------------------------------------------------------- lazy phases
def test_lazy_phase_gets_its_gain_and_a_rescaled_shared_adam(tmp_path):
    plugin = ToyPlugin()
    steps = []

    def record(optimizer, args, kwargs):
        steps.append((optimizer, [p.grad.clone() for group in optimizer.param_groups for p in group["params"]]))

    hook = register_optimizer_step_pre_hook(record)
    try:
        _train(plugin, tmp_path / "run", 1, {"reg_every": 4})
    finally:
        hook.remove()
    assert len(steps) == 3  # D, G, D_reg at step 0
    d_adam, reg_grads = steps[2]
    assert all(torch.equal(g, torch.full_like(g, 4.0)) for g in reg_grads), "the loss is multiplied by the interval"
    group = d_adam.param_groups[0]
    assert group["lr"] == pytest.approx(2e-4 * 0.8)
    assert group["betas"] == pytest.approx((0.5**0.8, 0.999**0.8))
    assert steps[1][0].param_groups[0]["lr"] == pytest.approx(2e-4)  # G has no lazy phase
    assert steps[1][0].param_groups[0]["betas"] == (0.5, 0.999)
    line = _stats(tmp_path / "run")[0]
    assert line["D_reg/loss"] == pytest.approx(3.0), "the logged loss is the unscaled one"
    assert line["lr"] == {"D": pytest.approx(2e-4 * 0.8), "G": pytest.approx(2e-4)}


def test_lazy_phases_sharing_an_optimizer_must_share_an_interval(tmp_path):
    with pytest.raises(ArtganError, match="same `every`"):
        _train(ToyPlugin(), tmp_path / "run", 1, {"reg_every": 4, "reg2_every": 16})


# --------------------------------------------------------------------------- sample grids
def test_every_run_ends_with_a_sample_grid_of_the_preview_batch(tmp_path):
    plugin = ToyPlugin()
    _train(plugin, tmp_path / "run", 3, {"sample_every": 1000})
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step-0000003.png"]
    [batch] = plugin.previews
    torch.testing.assert_close(batch, Images().images)  # the first 8 items, whatever the task


def test_sample_every_0_draws_no_grid(tmp_path):
    plugin = ToyPlugin()
    _train(plugin, tmp_path / "run", 3)
    assert not (tmp_path / "run" / "samples").exists() and not plugin.previews


def test_scheduled_grid_on_the_last_step_is_not_drawn_twice(tmp_path):
    plugin = ToyPlugin()
    _train(plugin, tmp_path / "run", 4, {"sample_every": 2})
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step-0000002.png", "step-0000004.png"]
    assert len(plugin.previews) == 2


# --------------------------------------------------------------------------- non-finite steps
def test_one_non_finite_step_is_skipped_with_a_warning(tmp_path, warnings_logged):
    plugin = ToyPlugin(nan_calls={"G": {2}})
    _train(plugin, tmp_path / "run", 4)
    warnings = [m for m in warnings_logged if "non-finite" in m]
    assert len(warnings) == 1 and "step 2" in warnings[0] and "'G'" in warnings[0]
    lines = _stats(tmp_path / "run")
    assert [line.get("skipped_steps", 0) for line in lines] == [0, 1, 0, 0]
    assert "G/loss" not in lines[1] and "D/loss" in lines[1]
    trained, _ = ckpt.find_checkpoint(tmp_path / "run").read_weights()
    assert all(torch.isfinite(t).all() for sd in trained.values() for t in sd.values())


def test_steady_non_finite_losses_stop_the_run_and_keep_the_last_good_state(tmp_path):
    plugin = ToyPlugin(nan_calls={"D": set(range(3, 100))})
    with pytest.raises(ArtganError, match="non-finite") as failure:
        _train(plugin, tmp_path / "run", 50)
    assert "learning rate" in str(failure.value)
    saved = ckpt.find_checkpoint(tmp_path / "run")
    assert saved.step == 2 + 8  # two good steps, then eight skipped ones
    trained, _ = saved.read_weights()
    assert all(torch.isfinite(t).all() for sd in trained.values() for t in sd.values())


# --------------------------------------------------------------------------- logging
def test_resuming_on_another_process_count_explains_the_batch_change(tmp_path, warnings_logged):
    run = tmp_path / "run"
    _train(ToyPlugin(), run, 2)
    folder = ckpt.find_checkpoint(run).path
    state = torch.load(folder / "training_state.pt", weights_only=False)
    state["rng"] = state["rng"] * 2  # as if two processes had trained it
    torch.save(state, folder / "training_state.pt")
    meta = json.loads((folder / "config.json").read_text())
    meta["training_state_sha256"] = ckpt.sha256_file(folder / "training_state.pt")  # a deliberate edit, not damage
    (folder / "config.json").write_text(json.dumps({**meta, "world_size": 2}))
    _train(ToyPlugin(), run, 3, resume=True)
    [message] = [m for m in warnings_logged if "resuming with" in m]
    assert "effective batch" in message and "from 4 to 2" in message
    assert "random streams restart" in message and "with 2 process(es)" in message


def test_only_the_announcing_stop_request_speaks(warnings_logged):
    StopRequest(announce=False)._handle(15, None)
    assert not warnings_logged
    StopRequest()._handle(15, None)
    assert "stopping after this step" in warnings_logged[0]
