"""Plugin discovery through the entry-point group ``artgan.plugins``, and model names.

Every plugin, first-party or not, is found the same way. A plugin that fails to import or
breaks the contract is kept as a *broken* record with the reason, so one bad package never
takes the command line down with it.

Models are named ``plugin.tag`` (``mlp.digits``); a tag alone works when only one plugin
ships it; a path to a checkpoint or run directory works wherever a name does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from artgan.checkpoint import CONFIG_FILE, WEIGHTS_FILE, find_checkpoint, sha256_file
from artgan.errors import ArtganError, did_you_mean
from artgan.plugin import Plugin, Preset, validate_plugin

GROUP = "artgan.plugins"


@dataclass
class PluginRecord:
    """What discovery found under one entry point: a usable plugin or the reason it is not."""

    name: str  # the entry point's name
    target: str  # "module:attribute" the entry point names
    distribution: str | None  # the pip package that registered it
    version: str | None  # that package's version
    plugin: Plugin | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.plugin is not None


@dataclass(frozen=True)
class ModelRef:
    """A resolved model name: which plugin runs it and where its checkpoint lies."""

    name: str  # canonical name ("mlp.digits") or the checkpoint path given
    plugin: Plugin
    path: Path  # checkpoint directory
    preset: Preset | None = None


_cache: dict[str, PluginRecord] | None = None


def _entry_points() -> list[metadata.EntryPoint]:
    """The raw entry points of the group (a seam for tests to fake installed packages)."""
    return list(metadata.entry_points(group=GROUP))


def discover(*, refresh: bool = False) -> dict[str, PluginRecord]:
    """Every plugin installed, by name, each loaded and validated once per process."""
    global _cache
    if _cache is not None and not refresh:
        return _cache
    records: dict[str, PluginRecord] = {}
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        record = PluginRecord(
            name=ep.name,
            target=ep.value,
            distribution=dist.metadata["Name"] if dist else None,
            version=dist.version if dist else None,
        )
        if ep.name in records:
            record.error = f"the name is already taken by {records[ep.name].distribution or records[ep.name].target}"
            records[f"{ep.name} ({record.distribution or ep.value})"] = record
            continue
        records[ep.name] = record
        try:
            obj = ep.load()
            plugin = obj() if isinstance(obj, type) else obj
        except Exception as exc:  # any failure of third-party code is reported, not raised
            record.error = f"import failed: {type(exc).__name__}: {exc}"
            continue
        problems = validate_plugin(plugin, ep.name)
        if problems:
            record.error = "; ".join(problems)
        else:
            record.plugin = plugin
    _cache = records
    return records


def get_plugin(name: str) -> Plugin:
    """The plugin called ``name``, or an error that suggests the right one."""
    records = discover()
    record = records.get(name)
    if record is None:
        available = ", ".join(n for n, r in records.items() if r.ok) or "none"
        raise ArtganError(f"unknown plugin {name!r}{did_you_mean(name, records)} (installed: {available})")
    if not record.ok:
        raise ArtganError(f"plugin {name!r} is broken: {record.error}")
    return record.plugin


def plugin_version(plugin: Plugin) -> str | None:
    """Version of the package that registered ``plugin``."""
    record = discover().get(plugin.name)
    return record.version if record else None


def list_presets() -> list[tuple[str, Plugin, Preset]]:
    """All shipped models as ``(full name, plugin, preset)``, sorted by name."""
    found = [
        (f"{r.plugin.name}.{p.tag}", r.plugin, p)
        for r in discover().values() if r.ok for p in r.plugin.presets
    ]
    return sorted(found, key=lambda item: item[0])


def resolve_model(name: str, *, task: str | None = None) -> ModelRef:
    """Resolve a model name, tag or checkpoint path; ``task`` breaks ties between tags."""
    if _looks_like_path(name):
        checkpoint = find_checkpoint(name)
        return ModelRef(name=name, plugin=get_plugin(checkpoint.plugin), path=checkpoint.path)
    presets = list_presets()
    by_name = {full: (plugin, preset) for full, plugin, preset in presets}
    if name in by_name:
        plugin, preset = by_name[name]
        return ModelRef(name=name, plugin=plugin, path=preset_path(plugin, preset), preset=preset)
    tagged = [(full, pl, pr) for full, pl, pr in presets if pr.tag == name]
    if task is not None and len(tagged) > 1:
        tagged = [t for t in tagged if t[2].task == task] or tagged
    if len(tagged) == 1:
        full, plugin, preset = tagged[0]
        return ModelRef(name=full, plugin=plugin, path=preset_path(plugin, preset), preset=preset)
    if len(tagged) > 1:
        raise ArtganError(f"{name!r} is ambiguous: it could be {', '.join(t[0] for t in tagged)}; give the full name")
    choices = list(by_name) + [p.tag for _, _, p in presets]
    known = ", ".join(by_name) or "none installed"
    raise ArtganError(f"unknown model {name!r}{did_you_mean(name, choices)} (models: {known}; or give a checkpoint directory)")


def _looks_like_path(name: str) -> bool:
    return os.sep in name or "/" in name or Path(name).exists() or name.startswith(".")


# --------------------------------------------------------------------------- preset files
def cache_dir() -> Path:
    """Where fetched presets are kept: ``$ARTGAN_HOME``, else the user's cache folder."""
    if os.environ.get("ARTGAN_HOME"):
        return Path(os.environ["ARTGAN_HOME"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "artgan"


def preset_path(plugin: Plugin, preset: Preset) -> Path:
    """The checked checkpoint directory of a preset, fetching it into the cache if needed."""
    if preset.path is not None:
        folder = Path(preset.path)
    else:
        folder = cache_dir() / plugin.name / f"{preset.tag}-{preset.sha256[:12]}"
        if not (folder / CONFIG_FILE).is_file():
            _fetch_preset(preset.url, folder)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise ArtganError(f"preset {plugin.name}.{preset.tag}: {weights} is missing; reinstall the plugin's package")
    digest = sha256_file(weights)
    if digest != preset.sha256:
        raise ArtganError(
            f"preset {plugin.name}.{preset.tag}: {weights} is damaged (sha256 {digest[:12]}…, "
            f"expected {preset.sha256[:12]}…); reinstall the plugin's package or clear {cache_dir()}"
        )
    return folder


def _fetch_preset(url: str, folder: Path) -> None:
    """Download a zip of a checkpoint directory and unpack it into ``folder`` atomically."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        archive = tmp / "preset.zip"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(archive, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise ArtganError(f"could not download {url} ({exc}); check the network or copy the preset by hand") from None
        try:
            with zipfile.ZipFile(archive) as bundle:
                names = [n for n in bundle.namelist() if not n.endswith("/")]
                for member in names:
                    if Path(member).name in (CONFIG_FILE, WEIGHTS_FILE):
                        (tmp / Path(member).name).write_bytes(bundle.read(member))
        except zipfile.BadZipFile:
            raise ArtganError(f"{url} is not a zip archive of a checkpoint directory") from None
        archive.unlink()
        if not (tmp / CONFIG_FILE).is_file() or not (tmp / WEIGHTS_FILE).is_file():
            raise ArtganError(f"{url} holds no {CONFIG_FILE} and {WEIGHTS_FILE}")
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
