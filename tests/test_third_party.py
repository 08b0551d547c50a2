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
    assert record.distribution == "artgan-example-plugin" and record.version == "0.2.0"
    final = artgan.train("example", digits_folder, tmp_path / "run", steps=2,
                         config=["z_dim=4", "width=8", "image_size=8", "batch_size=4"], device="cpu", progress=False)
    assert final.name == "step-0000002"
    images = artgan.to_pil(artgan.load(str(tmp_path / "run"), device="cpu").generate(n=3, seed=1))
    assert len(images) == 3 and images[0].size == (8, 8) and images[0].mode == "RGB"


def test_a_plugin_with_its_own_output_writers_and_command_works_through_artgan(tmp_path):
    """The sample heights package: conditional, a non-image output, its own formats and command."""
    import json

    from click.testing import CliRunner

    from artgan.cli import cli
    from artgan.images import write_random_images

    plugin = registry.get_plugin("heights")
    data = tmp_path / "terrain"
    for index, name in enumerate(("craters", "dunes")):
        write_random_images(data / name, count=3, size=(40, 40), seed=index)
    tiny = [f"-c{k}={v}" for k, v in {"batch_size": 2, "sample_every": 0, "workers": 0}.items()]
    for key, value in dataclasses_of(plugin.tiny_config()).items():
        tiny.append(f"-cmodel.{key}={json.dumps(value) if not isinstance(value, str) else value}")
    runner = CliRunner()
    trained = runner.invoke(cli, ["train", "heights", "--data", str(data), "--steps", "2", "--out", str(tmp_path / "run"), "--quiet", *tiny])
    assert trained.exit_code == 0, trained.output + trained.stderr
    made = runner.invoke(cli, ["generate", str(tmp_path / "run"), "-n", "2", "--label", "dunes", "--seed", "1",
                               "-o", str(tmp_path / "f.pgm"), "--json"])
    assert made.exit_code == 0, made.stderr
    assert (tmp_path / "f.pgm").read_bytes().startswith(b"P5")
    refused = runner.invoke(cli, ["generate", str(tmp_path / "run"), "-o", str(tmp_path / "f.png")])
    assert refused.exit_code == 2 and "cannot write Heightfield as '.png'" in refused.stderr
    info = runner.invoke(cli, ["heights-info", str(tmp_path / "f.pgm"), "--json"])
    assert info.exit_code == 0, info.stderr
    fields = artgan.load(str(tmp_path / "run"), device="cpu").generate(n=2, seed=1, label="dunes")
    assert type(fields).__name__ == "Heightfield" and fields.heights.shape[0] == 2


def dataclasses_of(config):
    import dataclasses

    return {k: v for k, v in dataclasses.asdict(config).items() if k != "labels"}
