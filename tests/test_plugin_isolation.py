"""A plugin cannot take artgan down: whatever a plugin does wrong, it is listed as broken with
its reason and everything else keeps working; a name stays with its owner; and a command loads
only the plugins it needs."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from artgan import cli as cli_module
from artgan import registry
from artgan.cli import cli
from artgan.errors import ArtganError
from artgan.plugin import validate_plugin
from conftest import TINY_MLP

#: entry point → (what it names, text the reason `artgan plugins` gives must hold)
HOSTILE = {
    "exitimport": ("hostile_exit_import:plugin", "SystemExit: hostile_exit_import refuses"),
    "initexits": ("hostile_plugins:InitExits", "SystemExit: 4"),
    "configraises": ("hostile_plugins:configraises", "Config() needs a GPU licence server"),
    "nameraises": ("hostile_plugins:nameraises", "name lookup hit the network"),
    "verbsexit": ("hostile_plugins:verbsexit", "verbs called sys.exit"),
    "writersgenexit": ("hostile_plugins:writersgenexit", "GeneratorExit: writers raised"),
    "rolesraise": ("hostile_plugins:rolesraise", "roles are not ready"),
    "presetsraise": ("hostile_plugins:presetsraise", "presets index missing"),
    "missingfile": ("hostile_plugins:missingfile", "no_such_preset_folder"),
    "inttag": ("hostile_plugins:inttag", "preset tag 5"),
    "presetsnotlist": ("hostile_plugins:presetsnotlist", "is not an artgan.plugin.Preset"),
    "presetsstring": ("hostile_plugins:presetsstring", "`presets` must be a tuple of Preset"),
    "optionsraise": ("hostile_plugins:optionsraise", "no options today"),
    "commandsexit": ("hostile_plugins:commandsexit", "commands() called sys.exit"),
}
RECORDED = ("hostile_recorded", "hostile_late")  # modules that must stay unimported


def invoke(*args: Any, ok: bool = True):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture
def hostile(fake_plugins, monkeypatch):
    """``fake_plugins`` that also forgets the CLI's collected plugin commands."""

    def install(entries: dict[str, str]) -> None:
        fake_plugins(entries)
        monkeypatch.setattr(cli_module, "_COMMANDS", None)

    yield install
    cli_module._COMMANDS = None


@dataclass(frozen=True)
class FakeDist:
    """Just what discovery reads of an installed distribution."""

    name: str
    version: str = "1.0"

    @property
    def metadata(self) -> dict[str, str]:
        return {"Name": self.name}


@dataclass(frozen=True)
class FakeEntryPoint:
    """An entry point registered by ``dist`` (``FakeDist("artgan")`` looks first-party)."""

    name: str
    value: str
    dist: Any = None
    group: str = registry.GROUP

    def load(self) -> Any:
        return metadata.EntryPoint(self.name, self.value, self.group).load()


@pytest.fixture
def entry_points(monkeypatch):
    """Replace the installed entry points by exactly ``install([...])``, in that order."""

    def install(points: list[Any]) -> None:
        monkeypatch.setattr(registry, "_entry_points", lambda: list(points))
        monkeypatch.setattr(registry, "_cache", None)
        monkeypatch.setattr(cli_module, "_COMMANDS", None)

    yield install
    registry._cache = None
    cli_module._COMMANDS = None


@pytest.fixture
def unimported():
    """Forget the recording modules, so ``name in sys.modules`` says whether this test loaded them."""
    for name in RECORDED:
        sys.modules.pop(name, None)
    yield
    for name in RECORDED:
        sys.modules.pop(name, None)


def _listed(name: str) -> dict[str, Any]:
    return {p["name"]: p for p in json.loads(invoke("plugins", "--json").stdout)}[name]


# --------------------------------------------------------------------------- 1. failures stay contained
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_each_kind_of_hostile_plugin_is_listed_broken_with_its_reason(hostile, kind):
    target, reason = HOSTILE[kind]
    hostile({kind: target})
    entry = _listed(kind)
    assert reason in entry["error"], entry["error"]
    assert entry["status"] == ("ok" if kind == "commandsexit" else "broken"), "a failing commands() costs only the commands"
    assert _listed("mlp")["status"] == "ok"
    assert invoke("--help").exit_code == 0


@pytest.mark.parametrize("kind", sorted(set(HOSTILE) - {"exitimport", "initexits", "commandsexit"}))
def test_validate_plugin_reports_what_a_plugin_raises_instead_of_raising_it(kind):
    module, attribute = HOSTILE[kind][0].split(":")
    problems = validate_plugin(getattr(__import__(module), attribute), kind)
    assert any(HOSTILE[kind][1] in p for p in problems), problems


def test_core_commands_work_beside_every_hostile_plugin(hostile, tmp_path):
    hostile({name: target for name, (target, _) in HOSTILE.items()})
    invoke("generate", "mlp.digits", "-n", 1, "-o", tmp_path / "x.png")
    invoke("generate", "digits", "-n", 1, "-o", tmp_path / "y.png")  # a bare tag reads every plugin's presets
    assert (tmp_path / "x.png").is_file() and (tmp_path / "y.png").is_file()
    assert "mlp.digits" in invoke("models").stdout
    text = invoke("plugins").stdout
    for name in HOSTILE:
        assert name in text
    assert "broken" in text and "no_such_preset_folder" in text
    assert "stylize" in invoke("--help").stdout
    assert invoke("stylize", "--help").exit_code == 0
    assert json.loads(invoke("info", "--json").stdout)["plugins"]["configraises"] == "broken"
    result = invoke("nosuchcommand", ok=False)
    assert result.exit_code == 2 and "No such command" in result.output


def test_ctrl_c_while_a_plugin_loads_still_stops_artgan(hostile):
    hostile({"interrupts": "hostile_plugins:interrupts"})
    with pytest.raises(KeyboardInterrupt):
        registry.discover()


# --------------------------------------------------------------------------- 2. names stay with their owners
@pytest.mark.parametrize("fork_first", [True, False])
def test_a_third_party_package_cannot_take_a_first_party_name(entry_points, fork_first):
    import artgan_mlp

    real = list(metadata.entry_points(group=registry.GROUP))
    fork = FakeEntryPoint("mlp", "fake_plugins:duplicate", FakeDist("artgan-mlp-fork"))
    entry_points([fork, *real] if fork_first else [*real, fork])
    records = registry.discover()
    assert records["mlp"].ok and records["mlp"].distribution == "artgan"
    assert records["mlp"].plugin is artgan_mlp.plugin and registry.get_plugin("mlp") is artgan_mlp.plugin
    loser = records["mlp (artgan-mlp-fork)"]
    assert not loser.ok and loser.distribution == "artgan-mlp-fork"
    assert "the name 'mlp' belongs to artgan's own plugin" in loser.error and "rename" in loser.error
    listed = json.loads(invoke("plugins", "--json").stdout)
    rows = [(p["name"], p["package"], p["status"]) for p in listed if p["name"].startswith("mlp")]
    assert rows == [("mlp", "artgan", "ok"), ("mlp (artgan-mlp-fork)", "artgan-mlp-fork", "broken")]


@pytest.mark.parametrize("order", [("pkg-a", "pkg-b"), ("pkg-b", "pkg-a")])
def test_between_two_third_party_packages_the_same_one_always_keeps_the_name(entry_points, order):
    entry_points([FakeEntryPoint("good", "fake_plugins:good", FakeDist(dist)) for dist in order])
    records = registry.discover()
    assert records["good"].ok and records["good"].distribution == "pkg-a"
    loser = records["good (pkg-b)"]
    assert not loser.ok and "already taken by pkg-a" in loser.error and "rename" in loser.error


# --------------------------------------------------------------------------- 3. lazy discovery
def test_naming_a_model_or_plugin_loads_only_that_plugin(hostile, unimported):
    hostile({"recorded": "hostile_recorded:plugin"})
    mlp = registry.get_plugin("mlp")
    assert registry.resolve_model("mlp.digits").plugin is mlp
    assert registry.plugin_version(mlp) == metadata.version("artgan")
    assert "hostile_recorded" not in sys.modules
    assert registry.discover()["recorded"].ok and "hostile_recorded" in sys.modules  # asked for everything


def test_core_commands_do_not_import_plugins_they_do_not_use(hostile, unimported, tmp_path):
    hostile({"recorded": "hostile_recorded:plugin"})
    invoke("generate", "mlp.digits", "-n", 1, "-o", tmp_path / "x.png")
    invoke("train", "mlp", "--data", "builtin:digits", "--steps", 1, "--out", tmp_path / "run", "--quiet",
           *sum((["-c", o] for o in TINY_MLP), []))
    invoke("stylize", "--help")
    assert "hostile_recorded" not in sys.modules
    assert "recorded-hello" in invoke("--help").stdout  # listing loads everything


def test_a_plugin_command_is_found_among_first_party_plugins_first(entry_points, unimported):
    real = [ep for ep in metadata.entry_points(group=registry.GROUP) if ep.dist.metadata["Name"] == "artgan"]
    entry_points([
        FakeEntryPoint("recorded", "hostile_recorded:plugin", FakeDist("some-package")),
        FakeEntryPoint("zzz", "hostile_late:plugin", FakeDist("artgan")),
        FakeEntryPoint("aaa", "hostile_first_party:aaa", FakeDist("artgan")),
        *real,
    ])
    assert invoke("aaa-hello").output == "hello from aaa\n"
    assert invoke("stylize", "--help").exit_code == 0
    assert not any(name in sys.modules for name in RECORDED), "the search stops at the plugin that has the command"
    assert invoke("recorded-hello").output == "hello from recorded\n", "third-party commands are found after"
    assert all(name in sys.modules for name in RECORDED)
    owners = cli_module.plugin_commands().owners
    expected = {"aaa-hello": "aaa", "stylize": "cyclegan", "recorded-hello": "recorded"}
    assert {name: owners.get(name) for name in expected} == expected
    assert set(owners.values()) - set(expected.values()) <= {ep.name for ep in real}  # the others: artgan's own


# --------------------------------------------------------------------------- 4. unreadable package metadata
#: entry_points.txt contents the standard library cannot read, by what is wrong with them
CORRUPT = {
    "line-without-equals": b"[artgan.plugins]\nthis line names nothing\n",
    "not-utf8": b"[artgan.plugins]\nbad = \xff\xfe:plugin\n",
}


def _install_distribution(site: Path, name: str, entry_points: bytes) -> None:
    """A distribution as pip leaves it in site-packages: a .dist-info folder with METADATA and entry_points.txt."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_bytes(entry_points)


class _UnreadableDistribution(metadata.Distribution):
    """A distribution a third-party finder provides, whose every metadata read raises."""

    def read_text(self, filename: str) -> str | None:
        raise OSError(f"{filename}: the package server is down")

    def locate_file(self, path: Any) -> Path:
        return Path("/remote-packages") / str(path)


class _Finder:
    """A finder on sys.meta_path that imports nothing and offers distributions (or fails to list them)."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails

    def find_spec(self, *args: Any) -> None:
        return None

    def find_distributions(self, context: Any = None) -> Any:
        if self.fails:
            raise RuntimeError("the package index of this import hook is corrupt")
        yield _UnreadableDistribution()


@pytest.fixture
def rediscover(monkeypatch):
    """Discovery from the real installed packages (as the test leaves sys.path), read afresh.

    torch is imported first: `import torch` lists every entry point itself (its device
    backends) and would crash on what these tests install, which is not the registry's to
    contain (see the last test)."""
    importlib.import_module("torch")

    monkeypatch.setattr(registry, "_cache", None)
    monkeypatch.setattr(cli_module, "_COMMANDS", None)
    yield
    registry._cache = None
    cli_module._COMMANDS = None


def _first_party_still_works(tmp_path: Path) -> None:
    records = registry.discover()
    assert records["mlp"].ok and records["mlp"].first_party and _listed("mlp")["status"] == "ok"
    invoke("generate", "mlp.digits", "-n", 1, "-o", tmp_path / "out.png")
    assert (tmp_path / "out.png").is_file()


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_a_package_whose_entry_points_cannot_be_read_costs_only_its_own_plugins(rediscover, monkeypatch, tmp_path, kind):
    site = tmp_path / "site"
    _install_distribution(site, "corrupt-pkg", CORRUPT[kind])
    _install_distribution(site, "healthy-pkg", b"[artgan.plugins]\ngood = fake_plugins:good\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(Exception):  # what the standard library's one-call listing does with it
        metadata.entry_points(group=registry.GROUP)
    _first_party_still_works(tmp_path)
    records = registry.discover()
    assert records["good"].ok and records["good"].distribution == "healthy-pkg", "a healthy neighbour loses nothing"
    entry = _listed("? (corrupt-pkg)")
    assert entry["status"] == "broken" and entry["package"] == "corrupt-pkg"
    assert "corrupt_pkg-1.0.dist-info" in entry["error"] and "cannot be read" in entry["error"]
    assert "pip install --force-reinstall corrupt-pkg" in entry["error"] and "pip uninstall corrupt-pkg" in entry["error"]
    if kind == "not-utf8":
        assert "UnicodeDecodeError" in entry["error"]
    assert [r.distribution for r in registry.unreadable_packages()] == ["corrupt-pkg"]
    with pytest.raises(ArtganError, match=r"entry points of corrupt-pkg could not be read.*artgan plugins"):
        registry.get_plugin("nosuchplugin")
    assert "corrupt-pkg" in invoke("plugins").stdout


def test_a_third_party_distribution_whose_metadata_raises_is_listed_broken(rediscover, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "meta_path", [_Finder(fails=False), *sys.meta_path])
    _first_party_still_works(tmp_path)
    broken = [r for r in registry.discover().values() if not r.ok and "package server is down" in (r.error or "")]
    assert len(broken) == 1 and "/remote-packages" in broken[0].error and "reinstall or remove" in broken[0].error


@pytest.mark.parametrize("cause", ["bytes on sys.path", "a finder that raises"])
def test_when_listing_every_package_fails_they_are_read_path_by_path(rediscover, monkeypatch, tmp_path, cause):
    _install_distribution(tmp_path / "site", "healthy-pkg", b"[artgan.plugins]\ngood = fake_plugins:good\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    if cause == "bytes on sys.path":  # the standard library's listing chokes on it; imports skip it
        monkeypatch.setattr(sys, "path", [b"/bytes/entry", *sys.path])
        key, reason = "? (sys.path entry b'/bytes/entry')", "remove or fix that entry"
    else:
        monkeypatch.setattr(sys, "meta_path", [_Finder(fails=True), *sys.meta_path])
        key, reason = "? (installed packages)", "the package index of this import hook is corrupt"
    _first_party_still_works(tmp_path)
    records = registry.discover()
    assert records["good"].ok and records["good"].distribution == "healthy-pkg", "packages on sys.path are still found"
    assert not records[key].ok and reason in records[key].error


def test_unreadable_entries_come_last_and_name_their_package(entry_points):
    real = list(metadata.entry_points(group=registry.GROUP))
    entry_points([registry.Unreadable("lost-pkg", "cannot read it; reinstall it"), *real])
    records = registry.discover()
    assert list(records)[-1] == "? (lost-pkg)" and records["? (lost-pkg)"].error == "cannot read it; reinstall it"
    assert records["mlp"].ok and "?" not in registry.plugin_names()
    with pytest.raises(ArtganError, match="unknown model.*entry points of lost-pkg could not be read"):
        registry.resolve_model("nosuchmodel")


def test_generate_in_a_fresh_process_beside_a_corrupt_package(tmp_path):
    import os
    import subprocess

    site = tmp_path / "site"
    _install_distribution(site, "corrupt-pkg", CORRUPT["line-without-equals"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("TORCH_DEVICE_BACKEND_AUTOLOAD", None)
    done = subprocess.run([sys.executable, "-m", "artgan", "generate", "mlp.digits", "-n", "1", "-o", str(tmp_path / "x.png")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "x.png").is_file()
