"""Shared fixtures: tiny configs, a private cache folder, faked plugin packages."""

from __future__ import annotations

import logging
from importlib import metadata

import pytest

from artgan import registry

def run_cli(*args, ok=True, input=None):
    """``artgan ARGS`` through click's runner; with ``ok``, fail the test unless it exits 0."""
    from click.testing import CliRunner

    from artgan.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    if ok:
        assert result.exit_code == 0, result.output + result.stderr
    return result


#: Overrides that make the mlp plugin tiny enough to train in milliseconds. A constant learning
#: rate: mlp's default falls over the second half of --steps, so a run cut short and resumed
#: with more steps would follow another schedule than the uninterrupted one.
TINY_MLP = ["z_dim=8", "g_hidden=[16]", "d_hidden=[16]", "image_size=8", "batch_size=4", "workers=0", "lr_decay_start=1"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's cache folder."""
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path_factory.mktemp("artgan_home")))


@pytest.fixture
def fake_plugins(monkeypatch):
    """Install entry points by hand: ``fake_plugins({"name": "module:attr"})``."""

    def install(entries: dict[str, str], keep_real: bool = True) -> None:
        real = list(metadata.entry_points(group=registry.GROUP))
        fakes = [metadata.EntryPoint(name, value, registry.GROUP) for name, value in entries.items()]
        monkeypatch.setattr(registry, "_entry_points", lambda: (real if keep_real else []) + fakes)
        monkeypatch.setattr(registry, "_cache", None)

    yield install
    registry._cache = None


@pytest.fixture
def digits_folder(tmp_path):
    """A folder of 12 small random RGB images."""
    from artgan.images import write_random_images

    folder = tmp_path / "images"
    write_random_images(folder, count=12, size=(16, 16))
    return folder


@pytest.fixture(scope="session")
def tiny_style_run(tmp_path_factory):
    """A cyclegan run of 2 steps: near-random weights, the real architecture (3 downsamplings)."""
    import artgan
    from artgan_cyclegan import plugin

    root = tmp_path_factory.mktemp("style")
    source = plugin.test_source(root / "data", plugin.tiny_config())
    overrides = ["width=4", "downsamplings=3", "blocks=1", "d_width=4", "d_layers=1", "crop=24", "scale_min=24",
                 "scale_max=32", "pool_size=2", "batch_size=1", "sample_every=0", "checkpoint_every=0"]
    artgan.train("cyclegan", source, root / "run", steps=2, config=overrides, device="cpu", progress=False)
    return root / "run"


@pytest.fixture
def warnings_logged():
    """The messages the ``artgan`` logger emits at WARNING and above (whatever its handlers)."""
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger("artgan")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(level)
