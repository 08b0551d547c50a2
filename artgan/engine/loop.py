"""The one training loop every plugin shares.

Per step: fetch a batch; for each of the plugin's phases that is due, compute its loss
(under autocast), back-propagate into the phase's networks only, average gradients across
processes, step that phase's Adam; then update the EMA, log, draw samples and checkpoint
on schedule. The loop owns optimizers, learning-rate schedule, EMA, precision, seeds,
distribution, progress and checkpoints; the plugin owns only the maths.

Lazy phases (``Phase.every`` = k > 1) follow StyleGAN2-ADA (Karras et al. 2020,
``training/training_loop.py``). The contract: a lazy phase's loss is written at its nominal
weight; the engine applies the interval. It multiplies the phase's loss by k (the "gain")
and builds the Adam the phase shares with its main phase with ``lr * r`` and ``betas ** r``,
r = k / (k + 1), which makes up for the extra optimizer step every k steps.

A phase whose loss or gradients are not finite skips its update (an fp16 GradScaler skips
on its own); after ``MAX_NONFINITE`` such skips in a row training stops with an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import os
import random
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import default_collate

import artgan.checkpoint as ckpt
from artgan._version import __version__
from artgan.config import TrainConfig, apply_overrides, check_ranges, from_dict, to_dict
from artgan.engine import runtime as rt
from artgan.engine.augment import Augmented, build_pipeline
from artgan.engine.data import make_loader
from artgan.engine.ema import EMA
from artgan.engine.progress import Eta, Progress, StatsLog, StopRequest, Timer, format_duration
from artgan.errors import ArtganError, did_you_mean
from artgan.images import make_grid, save_image
from artgan.plugin import Phase, Plugin
from artgan.runlock import RunLock

log = logging.getLogger("artgan")

#: Consecutive non-finite updates of one phase after which training stops.
MAX_NONFINITE = 8


@dataclasses.dataclass
class _Optimizer:
    """One Adam shared by the phases that train the same roles."""

    roles: tuple[str, ...]
    params: list[nn.Parameter]
    adam: torch.optim.Adam
    base_lr: float
    scaler: torch.amp.GradScaler | None


def train(
    plugin: Plugin | None,
    *,
    out: str | os.PathLike,
    data: str | Mapping[str, str] | None = None,
    steps: int | None = None,
    overrides: Sequence[str] = (),
    variant: str | None = None,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
) -> Path:
    """Train ``plugin`` on ``data`` into the run directory ``out``; return the last checkpoint.

    ``variant`` starts from one of the plugin's named configurations instead of its
    default. With ``resume`` the run continues from its newest checkpoint, with the settings
    it saved (``plugin`` and ``data`` may then be None); ``steps`` is the run's total.
    The run directory is locked for the whole training: a second training of the same
    ``out`` is refused (:class:`artgan.runlock.RunLock`).
    """
    out = Path(out)
    with _run_lock(out):
        plugin, model_cfg, train_cfg, data, state = _plan(plugin, out, data, steps, overrides, variant, resume)
        runtime = rt.start(device, train_cfg.precision, train_cfg.channels_last,
                           preferred=getattr(plugin, "train_precision", "fp32"))
        try:
            return _Run(plugin, model_cfg, train_cfg, data, out, runtime, state, progress).loop()
        finally:
            rt.stop(runtime)


def _run_lock(out: Path) -> contextlib.AbstractContextManager:
    """The run directory's exclusive lock, held for the whole training.

    Under ``torchrun`` only rank 0 takes it (the other ranks write nothing), read from the
    environment as :func:`runtime.start` does, because the lock is taken before the
    process group exists: a refused rank 0 then stops before anything is written.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0")) if world_size > 1 else 0
    return RunLock(out) if rank == 0 else contextlib.nullcontext()


def _plan(plugin, out, data, steps, overrides, variant, resume):  # noqa: ANN001, ANN202 - internal
    """Work out plugin, configs, data and the checkpoint to resume from (or refuse)."""
    from artgan.registry import get_plugin

    if resume:
        saved = ckpt.run_checkpoint(out, resumable=True)  # the newest intact one
        if saved is None:
            raise ArtganError(f"{out}: nothing to resume (no checkpoints there); drop --resume to start a new run")
        if not saved.is_training:
            raise ArtganError(f"{saved.path}: an exported checkpoint cannot be resumed; resume a training run's folder")
        if plugin is not None and plugin.name != saved.plugin:
            raise ArtganError(f"{out} is a run of plugin {saved.plugin!r}, not {plugin.name!r}")
        plugin = plugin or get_plugin(saved.plugin)
        model_cfg = _saved_config(plugin.Config, saved, "model_config", "model config")
        train_cfg = _saved_config(TrainConfig, saved, "train_config", "train config")
        data = data or saved.meta.get("data")
        if variant is not None:
            raise ArtganError("--variant only applies to a new run; a resumed run keeps its settings")
    else:
        existing = ckpt.latest_checkpoint_dir(out)
        if existing is not None:
            raise ArtganError(
                f"{out} already holds a run (checkpoint {existing.name}); add --resume to continue it "
                "or choose another --out"
            )
        if plugin is None:
            raise ArtganError("name the plugin to train (see `artgan plugins`)")
        saved = None
        if variant is None:
            model_cfg = plugin.Config()
        elif variant in plugin.variants:
            model_cfg = plugin.variants[variant]
        else:
            names = ", ".join(plugin.variants) or "none"
            raise ArtganError(f"plugin {plugin.name!r} has no variant {variant!r}{did_you_mean(variant, plugin.variants)} (variants: {names})")
        try:
            train_cfg = TrainConfig(**plugin.train_defaults)
        except TypeError as exc:
            raise ArtganError(f"plugin {plugin.name!r} has invalid train_defaults: {exc}") from None
    new_model_cfg, train_cfg = apply_overrides(model_cfg, train_cfg, list(overrides))
    if saved is not None and new_model_cfg != model_cfg:
        changed = [k for k, v in to_dict(new_model_cfg).items() if to_dict(model_cfg)[k] != v]
        raise ArtganError(f"model settings cannot change when resuming ({', '.join(changed)}); start a new run instead")
    if steps is not None:
        train_cfg = dataclasses.replace(train_cfg, steps=steps)
    train_cfg.validate()
    check_ranges(new_model_cfg, what="invalid model setting:")  # a config from Python or a variant, not only -c
    if saved is not None and train_cfg.steps < saved.step:
        raise ArtganError(
            f"{out} is already at step {saved.step}, past the {train_cfg.steps} asked for: --steps is the run's "
            f"total, not steps to add; give more than {saved.step} (e.g. --steps {saved.step + train_cfg.steps}) "
            "to train on"
        )
    if not data:
        raise ArtganError("say where the training data is with --data")
    return plugin, new_model_cfg, train_cfg, data, saved


def _saved_config(cls: type, saved: ckpt.Checkpoint, key: str, what: str) -> Any:
    """Rebuild a config a checkpoint saved; values that do not fit mean a damaged config.json."""
    data = saved.meta[key]  # load_meta checked that it is an object
    if set(data) - {f.name for f in dataclasses.fields(cls)}:
        return from_dict(cls, data, what=what)  # unknown settings: its message names the version mismatch
    try:
        return from_dict(cls, data, what=what)
    except (ArtganError, TypeError, ValueError) as exc:
        raise ArtganError(f"damaged checkpoint: {saved.path}: {ckpt.CONFIG_FILE}: {exc}") from None


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "python": random.getstate(),
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def _key(phase: Phase) -> str:
    """The optimizer ``phase`` uses: one per set of trained roles."""
    return "+".join(sorted(phase.trains))


def _all_finite(value: torch.Tensor, tensors: list[torch.Tensor]) -> bool:
    """Whether the scalar ``value`` and every element of ``tensors`` are finite (one device sync)."""
    # a NaN or ±inf anywhere makes its tensor's sum non-finite; sums cost a tenth of foreach_norm(inf)
    # (benchmarks/bench_mlp_engine.py). Only gradients summing past 3e38 could read as non-finite,
    # which skips a step (and says so) rather than corrupting one.
    sums = [t.sum(dtype=torch.float32) for t in tensors]
    return bool(torch.isfinite(torch.stack([value.float().reshape(()), *sums])).all())


class _Run:
    """The state of one training run; :meth:`loop` drives it."""

    def __init__(self, plugin: Plugin, model_cfg: Any, train_cfg: TrainConfig, data: str | Mapping[str, str], out: Path,
                 runtime: rt.Runtime, saved: ckpt.Checkpoint | None, progress: bool) -> None:
        train_cfg = dataclasses.replace(train_cfg, precision=runtime.precision)  # checkpoints record what ran, not "auto"
        self.plugin, self.train_cfg, self.data, self.out, self.runtime = plugin, train_cfg, data, out, runtime
        self.show_progress = progress and runtime.is_main
        _seed_everything(train_cfg.seed)
        self.dataset = plugin.dataset(data, model_cfg)
        self.model_cfg = plugin.adapt_config(model_cfg, self.dataset)
        if saved is not None and to_dict(self.model_cfg) != to_dict(model_cfg):  # model_cfg: the saved one, read
            raise ArtganError(f"the data at {data} no longer matches the run in {out} (its model settings would change)")
        self.phases: list[Phase] = list(plugin.phases(self.model_cfg))
        self.nets = self._build()
        if runtime.distributed:
            rt.broadcast_parameters(self.nets.values())
        self.optimizers = self._make_optimizers()
        roles = plugin.inference_roles
        self.ema = EMA({r: self.nets[r] for r in roles}, train_cfg.ema_half_life_kimg) if train_cfg.ema_half_life_kimg > 0 else None
        self.loss_nets: dict[str, nn.Module] = dict(self.nets)
        if train_cfg.augment:
            pipeline = build_pipeline(train_cfg.augment).to(runtime.device)
            for role in plugin.augment_roles:
                if role in self.nets:
                    self.loss_nets[role] = Augmented(self.nets[role], pipeline)
        self.step = 0
        self.log_sums: dict[str, torch.Tensor | float] = {}
        self.log_counts: dict[str, int] = {}
        self.skipped = 0  # non-finite updates skipped since the last stats line
        self.nonfinite_streak: dict[str, int] = {}  # consecutive skipped updates, by phase
        self.preview: Any = None  # the batch preview() shows, read when first needed
        self.stopped_by: str | None = None  # "time limit" once max_minutes ends the call
        elapsed = 0.0
        _seed_everything(train_cfg.seed + 1 + runtime.rank)
        if saved is not None:
            elapsed = self._restore(saved)
        self.timer = Timer(elapsed)
        self.stats = StatsLog(out / "stats.jsonl" if runtime.is_main else None)

    # ------------------------------------------------------------------ setup
    def _build(self) -> dict[str, nn.Module]:
        from artgan.memory import check_networks

        # sized on the meta device first: weights, gradients, two Adam moments and the EMA copy
        trained = {r for p in self.phases for r in p.trains}
        ema = self.plugin.inference_roles if self.train_cfg.ema_half_life_kimg > 0 else ()
        check_networks(lambda: self.plugin.build(self.model_cfg), f"training {self.plugin.name} (its networks, "
                       "gradients and optimizer state)", "make the networks smaller in the model config, or train on "
                       "a machine with more memory", self.runtime.device, trained=trained, ema=ema)
        nets = self.plugin.build(self.model_cfg)
        if not isinstance(nets, dict) or not all(isinstance(n, nn.Module) for n in nets.values()):
            raise ArtganError(f"plugin {self.plugin.name!r}: build() must return a dict of nn.Module by role")
        needed = {r for p in self.phases for r in p.trains} | set(self.plugin.inference_roles)
        missing = sorted(needed - set(nets))
        if missing:
            raise ArtganError(f"plugin {self.plugin.name!r}: build() made no network for role(s) {', '.join(missing)}")
        memory_format = torch.channels_last if self.runtime.channels_last else torch.preserve_format
        return {role: net.to(self.runtime.device, memory_format=memory_format).train() for role, net in nets.items()}

    def _make_optimizers(self) -> dict[str, _Optimizer]:
        """One Adam per set of trained roles, rescaled for a lazy phase among its users."""
        sharing: dict[str, list[Phase]] = {}
        for phase in self.phases:
            sharing.setdefault(_key(phase), []).append(phase)
        optimizers: dict[str, _Optimizer] = {}
        for key, phases in sharing.items():
            first = phases[0]
            intervals = sorted({p.every for p in phases if p.every > 1})
            if len(intervals) > 1:
                names = ", ".join(f"{p.name!r} (every={p.every})" for p in phases if p.every > 1)
                raise ArtganError(
                    f"plugin {self.plugin.name!r}: lazy phases {names} train the same networks and so share "
                    "one optimizer, which can be rescaled for only one interval: give them the same `every`, "
                    "or let them train different roles"
                )
            ratio = intervals[0] / (intervals[0] + 1) if intervals else 1.0
            lr = first.lr * ratio
            betas = tuple(b**ratio for b in first.betas) if intervals else first.betas
            params = [p for role in sorted(first.trains) for p in self.nets[role].parameters()]
            scaler = torch.amp.GradScaler(self.runtime.device.type) if self.runtime.precision == "fp16" else None
            adam = torch.optim.Adam(params, lr=lr, betas=betas, fused=True)  # one kernel for all parameters: 4x faster on CPU
            optimizers[key] = _Optimizer(tuple(sorted(first.trains)), params, adam, lr, scaler)
        return optimizers

    def _restore(self, saved: ckpt.Checkpoint) -> float:
        trained, ema = saved.read_weights()
        state = saved.training_state()
        try:
            self._load_state(saved, trained, ema, state)
        except torch.OutOfMemoryError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as exc:
            raise ArtganError(f"damaged checkpoint: {saved.path}: its weights or training state do not fit this run "
                              f"({type(exc).__name__}: {exc}); resume from an older checkpoint or start a new run") from None
        if self.runtime.is_main:
            log.info("resuming %s from step %d", self.out, self.step)
        return float(state.get("elapsed_s", 0.0))

    def _load_state(self, saved: ckpt.Checkpoint, trained: dict, ema: dict, state: dict[str, Any]) -> None:
        for role, net in self.nets.items():
            if role not in trained:
                raise ArtganError(f"{saved.path}: has no weights for {role!r}; it cannot be resumed")
            net.load_state_dict(trained[role])
        if self.ema is not None and ema:
            self.ema.load_state_dicts(ema)
        for key, opt in self.optimizers.items():
            opt.adam.load_state_dict(state["optimizers"][key])
            if opt.scaler is not None and key in state.get("scalers", {}):
                opt.scaler.load_state_dict(state["scalers"][key])
        self.step = int(state["step"])
        self.log_sums = dict(state.get("log_sums", {}))
        self.log_counts = dict(state.get("log_counts", {}))
        self.skipped = int(state.get("skipped", 0))
        self.nonfinite_streak = dict(state.get("nonfinite_streak", {}))
        rng = state["rng"]
        if len(rng) == self.runtime.world_size:
            _set_rng_state(rng[self.runtime.rank])
        elif self.runtime.is_main:
            old_world = int(saved.meta.get("world_size", len(rng)))
            old_batch = int(saved.meta["train_config"]["batch_size"]) * old_world
            new_batch = self.train_cfg.batch_size * self.runtime.world_size
            log.warning(
                "resuming with %d process(es) instead of %d: the effective batch (batch_size × processes) "
                "changes from %d to %d images per step, so the learning dynamics differ, and the random "
                "streams restart; to continue exactly, resume with %d process(es)",
                self.runtime.world_size, old_world, old_batch, new_batch, old_world,
            )

    # ------------------------------------------------------------------ the loop
    def loop(self) -> Path:
        cfg, runtime = self.train_cfg, self.runtime
        batch_images = cfg.batch_size * runtime.world_size
        loader = make_loader(self.dataset, cfg.batch_size, runtime, seed=cfg.seed, start=self.step * cfg.batch_size, workers=cfg.workers)
        batches = iter(loader)
        params_by_role = {role: list(net.parameters()) for role, net in self.nets.items()}
        if runtime.is_main:
            log.info("training in %s%s on %s (%s)", runtime.precision, ", channels-last" if runtime.channels_last else "",
                     runtime.device, runtime.precision_reason)
        bar = Progress(cfg.steps, self.step, self.show_progress)
        limit_s = cfg.max_minutes * 60
        eta = Eta(self.step, cfg.steps, f"{runtime.precision} on {runtime.device.type}", enabled=runtime.is_main,
                  limit_s=limit_s)
        last_saved = last_sampled = None
        interval_start, interval_step = time.perf_counter(), self.step
        call_start = interval_start
        try:
            with StopRequest(announce=runtime.is_main) as stop:
                while self.step < cfg.steps:
                    try:
                        batch = runtime.to_device(next(batches))
                    except ArtganError:
                        if not runtime.distributed:  # keep the work done so far
                            self._save()
                        raise
                    self._set_learning_rates()
                    self.plugin.schedule(self.nets, self.model_cfg, self.step / cfg.steps)
                    for phase in self.phases:
                        if self.step % phase.every == 0:
                            self._run_phase(phase, batch, params_by_role)
                    self.step += 1
                    if self.ema is not None:
                        self.ema.update(self.step * batch_images, batch_images)
                    stuck = [name for name, count in self.nonfinite_streak.items() if count >= MAX_NONFINITE]
                    if stuck:
                        self._give_up(stuck, last_saved)
                    bar.advance()
                    eta.step_done(self.step)
                    if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                        now = time.perf_counter()
                        bar.show(self._write_stats((self.step - interval_step) / max(now - interval_start, 1e-9)))
                        interval_start, interval_step = now, self.step
                    if cfg.sample_every and self.step % cfg.sample_every == 0:
                        self._save_samples()
                        last_sampled = self.step
                    if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                        last_saved = self._save()
                    out_of_time = bool(limit_s) and time.perf_counter() - call_start >= limit_s
                    if rt.any_process(stop.requested or out_of_time, runtime):
                        if out_of_time and not stop.requested:
                            self.stopped_by = "time limit"
                            if runtime.is_main:
                                log.info("the %s limit is reached at step %d of %d", format_duration(limit_s),
                                         self.step, cfg.steps)
                        break
        finally:
            bar.close()
        if last_saved != self.step or self.stopped_by:  # the last checkpoint also says why the call ended
            self._save()
        if cfg.sample_every and last_sampled != self.step:  # every run ends with a grid
            self._save_samples()
        if runtime.distributed:
            self._check_in_sync()
        final = ckpt.CHECKPOINTS_DIR + f"/step-{self.step:07d}"
        if runtime.is_main:
            log.info("step %d/%d: checkpoint %s", self.step, cfg.steps, self.out / final)
            if self.step < cfg.steps:
                log.info("stopped early; continue with: artgan train --out %s --resume", self.out)
        return self.out / final

    def _run_phase(self, phase: Phase, batch: Any, params_by_role: dict[str, list[nn.Parameter]]) -> None:
        """Compute ``phase``'s loss, back-propagate it (times its interval) and step its Adam."""
        opt = self.optimizers[_key(phase)]
        for role, params in params_by_role.items():
            trainable = role in phase.trains
            for p in params:
                p.requires_grad_(trainable)
        with self.runtime.autocast():
            loss, logs = self.plugin.loss(phase.name, self.loss_nets, batch, self.model_cfg)
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise ArtganError(f"plugin {self.plugin.name!r}: loss({phase.name!r}) must return a scalar tensor")
        gained = loss * phase.every if phase.every > 1 else loss  # the lazy-phase gain
        opt.adam.zero_grad(set_to_none=True)
        if opt.scaler is not None:
            opt.scaler.scale(gained).backward()
        else:
            gained.backward()
        check = gained.detach()
        if self.runtime.distributed:  # the loss rides along, so every process decides alike
            check = rt.average_gradients(opt.params, self.runtime.world_size, extra=check)
        if opt.scaler is not None:  # the scaler skips non-finite steps itself
            opt.scaler.step(opt.adam)
            opt.scaler.update()
        elif _all_finite(check, [p.grad for p in opt.params if p.grad is not None]):
            opt.adam.step()
            self.nonfinite_streak.pop(phase.name, None)
        else:
            opt.adam.zero_grad(set_to_none=True)
            self.skipped += 1
            streak = self.nonfinite_streak[phase.name] = self.nonfinite_streak.get(phase.name, 0) + 1
            if self.runtime.is_main:
                log.warning("step %d: phase %r gave a non-finite loss or gradient; its update is skipped (%d in a row)",
                            self.step + 1, phase.name, streak)
            return
        self._accumulate(f"{phase.name}/loss", loss)
        for name, value in logs.items():
            self._accumulate(f"{phase.name}/{name}", value)

    def _give_up(self, phases: list[str], last_saved: int | None) -> None:
        """Stop a run whose updates keep failing: keep its last good state, then raise."""
        names = ", ".join(repr(name) for name in phases)
        params = [p.detach() for net in self.nets.values() for p in net.parameters()]
        if _all_finite(torch.zeros((), device=self.runtime.device), params):
            if last_saved != self.step:
                self._save()
            kept = f"the last good state is in {self.out / ckpt.CHECKPOINTS_DIR}/step-{self.step:07d}"
        else:
            kept = "the weights themselves are no longer finite, so no checkpoint was written"
        precision = "" if self.runtime.precision == "fp32" else f", use `-c precision=fp32` instead of {self.runtime.precision}"
        raise ArtganError(
            f"phase(s) {names} gave non-finite losses or gradients {MAX_NONFINITE} steps in a row "
            f"(up to step {self.step}), so training stopped; {kept}. To fix it, start a new run with a "
            f"lower learning rate{precision}, and check the data for broken or extreme images"
        )

    def _accumulate(self, key: str, value: torch.Tensor | float) -> None:
        if isinstance(value, torch.Tensor):
            value = value.detach().float()
        self.log_sums[key] = self.log_sums.get(key, 0.0) + value
        self.log_counts[key] = self.log_counts.get(key, 0) + 1

    def _set_learning_rates(self) -> None:
        cfg = self.train_cfg
        start = cfg.lr_decay_start * cfg.steps
        factor = 1.0 if self.step < start else max(0.0, (cfg.steps - self.step) / max(cfg.steps - start, 1.0))
        for opt in self.optimizers.values():
            for group in opt.adam.param_groups:
                group["lr"] = opt.base_lr * factor

    # ------------------------------------------------------------------ outputs
    def _write_stats(self, steps_per_s: float) -> dict[str, float]:
        means = {k: float(v) / self.log_counts[k] for k, v in self.log_sums.items()}
        self.log_sums, self.log_counts = {}, {}
        skipped, self.skipped = self.skipped, 0
        if self.runtime.is_main:
            lr = {key: opt.adam.param_groups[0]["lr"] for key, opt in self.optimizers.items()}
            self.stats.write({
                "step": self.step,
                "images": self.step * self.train_cfg.batch_size * self.runtime.world_size,
                "time_s": round(self.timer.elapsed, 3),
                "steps_per_s": round(steps_per_s, 3),
                "world_size": self.runtime.world_size,
                "lr": lr,
                **({"skipped_steps": skipped} if skipped else {}),
                **means,
            })
        return {k: v for k, v in means.items() if k.endswith("/loss")}

    def _preview_batch(self) -> Any:
        """The first (up to) 8 dataset items as one batch on the device, for ``preview``.

        Seeded inside a fork of the random streams: the same batch whenever it is first
        read (the first grid of a run or of a resumed run), and training's streams untouched.
        """
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.train_cfg.seed)
            items = [self.dataset[i] for i in range(min(8, len(self.dataset)))]
        return self.runtime.to_device(default_collate(items))

    def _inference_nets(self) -> dict[str, nn.Module]:
        source = self.ema.copies if self.ema is not None else self.nets
        return {role: source[role] for role in self.plugin.inference_roles}

    @torch.no_grad()
    def _save_samples(self) -> None:
        """Draw the sample grid of the current step (rank 0)."""
        if not self.runtime.is_main:
            return
        if self.preview is None:  # read on first use, so a run without grids never reads it
            self.preview = self._preview_batch()
        nets = self._inference_nets()
        modes = {role: net.training for role, net in nets.items()}
        for net in nets.values():
            net.eval()
        with torch.random.fork_rng(devices=[self.runtime.device] if self.runtime.device.type == "cuda" else []):
            generator = torch.Generator().manual_seed(self.train_cfg.seed)
            with self.runtime.autocast():
                images = self.plugin.preview(nets, self.model_cfg, self.preview, generator)
        for role, net in nets.items():
            net.train(modes[role])
        path = self.out / "samples" / f"step-{self.step:07d}.png"
        save_image(make_grid(images.float()), path, metadata={"model": str(self.out), "step": self.step, "version": __version__})

    def _save(self) -> int:
        """Write a checkpoint of the current step (rank 0); return the step saved."""
        states = rt.gather(_rng_state(), self.runtime)
        if self.runtime.is_main:
            from artgan.registry import plugin_version

            meta = {
                "kind": "training",
                "plugin": self.plugin.name,
                "plugin_version": plugin_version(self.plugin),
                "artgan_version": __version__,
                "torch_version": torch.__version__,
                "step": self.step,
                "images_seen": self.step * self.train_cfg.batch_size * self.runtime.world_size,
                "wall_time_s": round(self.timer.elapsed, 1),
                "world_size": self.runtime.world_size,
                "device": str(self.runtime.device),
                "data": self.data,
                "model_config": to_dict(self.model_cfg),
                "train_config": to_dict(self.train_cfg),
                "stopped_by": self.stopped_by,
            }
            state = {
                "step": self.step,
                "optimizers": {k: o.adam.state_dict() for k, o in self.optimizers.items()},
                "scalers": {k: o.scaler.state_dict() for k, o in self.optimizers.items() if o.scaler is not None},
                "rng": states,
                "log_sums": {k: float(v) for k, v in self.log_sums.items()},
                "log_counts": dict(self.log_counts),
                "skipped": self.skipped,
                "nonfinite_streak": dict(self.nonfinite_streak),
                "elapsed_s": self.timer.elapsed,
            }
            ckpt.save_run_checkpoint(
                self.out, self.step, self.train_cfg.keep_checkpoints,
                meta=meta,
                weights={r: n.state_dict() for r, n in self.nets.items()},
                ema=self.ema.state_dicts() if self.ema is not None else None,
                training_state=state,
            )
        return self.step

    def _check_in_sync(self) -> None:
        """Fail loudly if the processes' weights drifted apart (a bug, never expected)."""
        total = sum(p.detach().double().sum().item() for p in itertools.chain.from_iterable(n.parameters() for n in self.nets.values()))
        sums = rt.gather(total, self.runtime)
        if max(sums) - min(sums) > 1e-6 * max(1.0, abs(sums[0])):
            raise RuntimeError(f"data-parallel processes diverged: parameter sums {sums}")
