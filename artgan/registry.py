"""Plugin discovery through the entry-point group ``artgan.plugins``, and model names.

Every plugin, first-party or not, is found the same way. A plugin that fails to import or
breaks the contract is kept as a *broken* record with the reason, so one bad package never
takes the command line down with it.

Models are named ``plugin.tag``; a tag alone works when only one plugin
ships it; a path to a checkpoint or run directory works wherever a name does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from artgan.checkpoint import find_checkpoint
from artgan.errors import ArtganError, did_you_mean
from artgan.plugin import Plugin, Preset, validate_plugin
from artgan.presets import preset_path

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

    name: str  # canonical name ("plugin.tag") or the checkpoint path given
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


def resolve_model(name: str, *, verb: str | None = None) -> ModelRef:
    """Resolve a model name, tag or checkpoint path; ``verb`` breaks ties between tags (the
    plugin that offers it wins)."""
    if _looks_like_path(name):
        checkpoint = find_checkpoint(name)
        return ModelRef(name=name, plugin=get_plugin(checkpoint.plugin), path=checkpoint.path)
    presets = list_presets()
    by_name = {full: (plugin, preset) for full, plugin, preset in presets}
    if name in by_name:
        plugin, preset = by_name[name]
        return ModelRef(name=name, plugin=plugin, path=preset_path(plugin, preset), preset=preset)
    tagged = [(full, pl, pr) for full, pl, pr in presets if pr.tag == name]
    if verb is not None and len(tagged) > 1:
        tagged = [t for t in tagged if any(v.name == verb for v in t[1].verbs)] or tagged
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
