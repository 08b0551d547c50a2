"""Contract checks any plugin author can run under pytest.

>>> # tests/test_contract.py of a plugin package
>>> from artgan.testing import check_plugin
>>> from my_plugin import plugin
>>> def test_contract(tmp_path):
...     check_plugin(plugin, tmp_path)

Each check raises ``AssertionError`` with a sentence that says what to fix. They build the
plugin's :meth:`~artgan.plugin.Plugin.tiny_config`, train two steps through the real engine
on the plugin's synthetic :meth:`~artgan.plugin.Plugin.test_source`, save, reload and run
inference, on the CPU. artgan's own suite runs them over every installed plugin.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import default_collate

from artgan.api import Model
from artgan.checkpoint import find_checkpoint
from artgan.config import from_dict, render_overrides, to_dict
from artgan.plugin import Plugin, validate_plugin
from artgan.registry import ModelRef


def check_plugin(plugin: Plugin, tmp_path: Path) -> None:
    """Run every check below on ``plugin``, using ``tmp_path`` for data and a run folder."""
    check_declaration(plugin)
    config = plugin.tiny_config()
    check_config_roundtrip(plugin, config)
    source = plugin.test_source(Path(tmp_path) / "data", config)
    check_losses(plugin, config, source)
    check_training_and_inference(plugin, config, source, Path(tmp_path) / "run")
    check_presets(plugin)


def check_declaration(plugin: Plugin) -> None:
    """The cheap contract: name, Config, task methods, phases, presets."""
    problems = validate_plugin(plugin)
    assert not problems, f"plugin {getattr(plugin, 'name', plugin)!r} breaks the contract: " + "; ".join(problems)


def check_config_roundtrip(plugin: Plugin, config: Any) -> None:
    """Default and tiny configs survive the JSON round trip a checkpoint makes."""
    for cfg in (plugin.Config(), config):
        assert isinstance(cfg, plugin.Config), "tiny_config() must return an instance of the plugin's Config"
        again = from_dict(plugin.Config, to_dict(cfg))
        assert again == cfg, f"Config does not survive JSON: {cfg} became {again}; use JSON-friendly field types"


def _build(plugin: Plugin, config: Any) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    nets = plugin.build(config)
    assert isinstance(nets, dict) and nets, "build() must return a dict of networks by role"
    for role, net in nets.items():
        assert isinstance(net, nn.Module), f"build()[{role!r}] is not a torch.nn.Module"
    needed = {r for p in plugin.phases(config) for r in p.trains} | set(plugin.inference_roles)
    assert needed <= set(nets), f"build() lacks role(s) {sorted(needed - set(nets))} that phases or inference_roles name"
    return nets


def check_losses(plugin: Plugin, config: Any, source: str) -> None:
    """Every phase's loss is a finite scalar whose gradient reaches the networks it trains."""
    dataset = plugin.dataset(source, config)
    config = plugin.adapt_config(config, dataset)
    nets = _build(plugin, config)
    batch = default_collate([dataset[i] for i in range(min(2, len(dataset)))])
    for phase in plugin.phases(config):
        for net in nets.values():
            net.zero_grad(set_to_none=True)
        loss, logs = plugin.loss(phase.name, nets, batch, config)
        assert isinstance(loss, torch.Tensor) and loss.dim() == 0, f"loss({phase.name!r}) must return a scalar tensor"
        assert torch.isfinite(loss), f"loss({phase.name!r}) is not finite: {loss}"
        assert isinstance(logs, dict), f"loss({phase.name!r}) must return (loss, dict of logs)"
        loss.backward()
        for role in phase.trains:
            grads = [p.grad for p in nets[role].parameters() if p.grad is not None]
            assert grads and any(g.abs().sum() > 0 for g in grads), (
                f"loss({phase.name!r}) gives no gradient to {role!r}, which the phase trains"
            )


def check_training_and_inference(plugin: Plugin, config: Any, source: str, run: Path) -> None:
    """Two engine steps train, checkpoint and reload; inference is reproducible and in range."""
    import artgan

    overrides = render_overrides({f"model.{k}": v for k, v in dataclasses.asdict(config).items()})
    overrides += ["train.batch_size=2", "sample_every=2", "checkpoint_every=2", "log_every=1", "workers=0"]
    final = artgan.train(plugin, source, run, steps=2, config=overrides, device="cpu", progress=False)
    assert (final / "model.safetensors").is_file(), f"training wrote no checkpoint at {final}"
    assert list((run / "samples").glob("*.png")), "training drew no sample grid"
    # the plugin object itself, not the registry: authors run this before installing
    model = Model(ModelRef(name=str(run), plugin=plugin, path=find_checkpoint(run).path), "cpu")
    if plugin.task == "generate":
        first = model.generate(2, seed=5, output="tensor")
        second = model.generate(2, seed=5, output="tensor")
        assert first.dim() == 4 and first.shape[0] == 2, f"generate(n=2) returned shape {tuple(first.shape)}"
        assert torch.equal(first, second), "generate() with the same generator seed must give the same images"
        assert first.min() >= -1 and first.max() <= 1, "generated images must lie in [-1, 1]"
    else:
        images = torch.rand(1, 3, 32, 32) * 2 - 1
        nets = model.nets
        out = plugin.translate(nets, model.config, images)
        assert out.shape[0] == 1 and out.shape[-2:] == images.shape[-2:], (
            f"translate() of a 32×32 image returned shape {tuple(out.shape)}"
        )
        assert out.min() >= -1 and out.max() <= 1, "translated images must lie in [-1, 1]"


def check_presets(plugin: Plugin) -> None:
    """Shipped presets exist, match their sha256 and load into the plugin's networks."""
    import artgan

    for preset in plugin.presets:
        if preset.path is None:  # fetched on demand; checking it would need the network
            continue
        model = artgan.load(f"{plugin.name}.{preset.tag}", device="cpu")
        assert model.task == preset.task, f"preset {preset.tag!r} says task {preset.task!r} but the plugin does {model.task!r}"
