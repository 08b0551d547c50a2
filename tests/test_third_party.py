"""The third-party path: pip-install the sample plugin package, discover, train, generate."""

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import artgan
from artgan import registry

SAMPLE = Path(__file__).parents[1] / "samples" / "artgan-example-plugin"


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    """The sample package as pip installs it (into a private folder, offline)."""
    target = tmp_path / "site"
    build = tmp_path / "src"
    shutil.copytree(SAMPLE, build, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(build)],
        check=True, capture_output=True,
    )
    monkeypatch.syspath_prepend(str(target))
    dist = next(metadata.distributions(path=[str(target)]))
    real = [ep for ep in metadata.entry_points(group=registry.GROUP) if ep.name != "example"]
    monkeypatch.setattr(registry, "_entry_points", lambda: real + [ep for ep in dist.entry_points if ep.group == registry.GROUP])
    monkeypatch.setattr(registry, "_cache", None)
    yield dist
    registry._cache = None


def test_installed_package_is_discovered_trained_and_sampled(installed_example, tmp_path, digits_folder):
    record = registry.discover()["example"]
    assert record.ok, record.error
    assert record.distribution == "artgan-example-plugin" and record.version == "0.1.0"
    final = artgan.train("example", digits_folder, tmp_path / "run", steps=2,
                         config=["z_dim=4", "width=8", "image_size=8", "batch_size=4"], device="cpu", progress=False)
    assert final.name == "step-0000002"
    images = artgan.load(str(tmp_path / "run"), device="cpu").generate(3, seed=1)
    assert len(images) == 3 and images[0].size == (8, 8) and images[0].mode == "RGB"
