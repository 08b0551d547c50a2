"""Shared fixtures: tiny configs, a private cache folder, faked plugin packages."""

from __future__ import annotations

from importlib import metadata

import pytest

from artgan import registry

#: Overrides that make the mlp plugin tiny enough to train in milliseconds.
TINY_MLP = ["z_dim=8", "g_hidden=[16]", "d_hidden=[16]", "image_size=8", "batch_size=4", "workers=0"]


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
