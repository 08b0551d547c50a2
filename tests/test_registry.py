import shutil
import zipfile

import pytest

from artgan import presets, registry
from artgan.checkpoint import WEIGHTS_FILE, sha256_file
from artgan.errors import ArtganError
from artgan.plugin import Preset


def test_first_party_plugins_come_through_entry_points():
    records = registry.discover(refresh=True)
    assert records["mlp"].ok and records["mlp"].distribution == "artgan"


def test_broken_plugins_are_listed_with_reasons(fake_plugins):
    fake_plugins({
        "good": "fake_plugins:good",
        "crashy": "fake_broken_import:plugin",
        "noloss": "fake_plugins:noloss",
        "badphases": "fake_plugins:badphases",
        "future": "fake_plugins:future",
        "wrongname": "fake_plugins:wrongname",
        "mlp": "fake_plugins:duplicate",
        "ghost": "fake_plugins:does_not_exist",
        "unknownrole": "fake_plugins:unknownrole",
        "badverb": "fake_plugins:badverb",
        "example_v1": "plugin_api1:plugin",
    })
    records = registry.discover()
    assert records["good"].ok and records["mlp"].ok
    reasons = {name: r.error for name, r in records.items() if not r.ok}
    assert "No module named 'this_dependency_is_not_installed'" in reasons["crashy"]
    assert "missing method `loss`" in reasons["noloss"]
    assert "share an optimizer" in reasons["badphases"]
    assert "plugin API 99" in reasons["future"]
    assert "make them equal" in reasons["wrongname"]
    assert "already taken" in next(e for n, e in reasons.items() if n.startswith("mlp ("))
    assert "import failed" in reasons["ghost"]
    assert "phase 'G' trains ['G_ema'], which are not in `roles`" in reasons["unknownrole"]
    for problem in ("unique lowercase identifier", "`run` must be callable", "`Options` must be a dataclass",
                    "`output` must be a subclass", "`takes` must be one of", "`channels` may only hold"):
        assert problem in reasons["badverb"], problem
    # a plugin written for the first contract is told, by version, what to change
    assert reasons["example_v1"].startswith("written for artgan plugin API 1, this artgan speaks API 2: to update, declare `roles`")
    assert "docs/plugins.md" in reasons["example_v1"]
    with pytest.raises(ArtganError, match="plugin 'crashy' is broken"):
        registry.get_plugin("crashy")


def test_unknown_plugin_gets_a_suggestion():
    with pytest.raises(ArtganError, match="did you mean 'mlp'"):
        registry.get_plugin("mpl")


def test_model_names_tags_and_typos():
    assert registry.resolve_model("mlp.digits").name == "mlp.digits"
    assert registry.resolve_model("digits").name == "mlp.digits"
    with pytest.raises(ArtganError, match="did you mean 'mlp.digits'"):
        registry.resolve_model("mlp.digts")
    with pytest.raises(ArtganError, match="no such checkpoint"):
        registry.resolve_model("./no/such/run")


def test_ambiguous_tag_asks_for_the_full_name(fake_plugins):
    fake_plugins({"shadow": "fake_plugins:shadow"})
    with pytest.raises(ArtganError, match="ambiguous.*mlp.digits.*shadow.digits"):
        registry.resolve_model("digits")


def test_damaged_preset_is_refused(tmp_path):
    plugin = registry.get_plugin("mlp")
    shipped = plugin.presets[0]
    copy = tmp_path / "digits"
    shutil.copytree(shipped.path, copy)
    (copy / WEIGHTS_FILE).write_bytes(b"garbage")
    damaged = Preset(tag="digits", task="generate", sha256=shipped.sha256, licence="x", description="x", path=copy)
    with pytest.raises(ArtganError, match="damaged"):
        presets.preset_path(plugin, damaged)


def test_remote_preset_is_fetched_once_into_the_cache(tmp_path, monkeypatch):
    plugin = registry.get_plugin("mlp")
    shipped = plugin.presets[0]
    archive = tmp_path / "digits.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ("config.json", WEIGHTS_FILE):
            bundle.write(shipped.path / name, f"digits/{name}")
    remote = Preset(tag="digits", task="generate", sha256=shipped.sha256, licence="x", description="x", url=archive.as_uri())
    folder = presets.preset_path(plugin, remote)
    assert folder.is_relative_to(presets.cache_dir()) and sha256_file(folder / WEIGHTS_FILE) == shipped.sha256
    archive.unlink()  # a second use needs no download
    assert presets.preset_path(plugin, remote) == folder
    missing = Preset(tag="other", task="generate", sha256="b" * 64, licence="x", description="x", url=(tmp_path / "gone.zip").as_uri())
    with pytest.raises(ArtganError, match="could not download"):
        presets.preset_path(plugin, missing)
