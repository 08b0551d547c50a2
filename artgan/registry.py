"""Plugin discovery through the entry-point group ``artgan.plugins``, and model names.

Every plugin, first-party or not, is found the same way. A plugin that fails to import (even
with ``sys.exit()``), raises from its attributes or breaks the contract is kept as a *broken*
record with the reason, so one bad package never takes the command line down with it. The
entry points are read package by package, so a package whose metadata cannot be read (a
corrupt ``entry_points.txt``, a broken ``.dist-info``) costs only its own plugins and is listed
as broken too; if even listing the packages fails, they are read path entry by path entry. A name
claimed by several packages goes to artgan's own plugin, else to the package whose name sorts
first; the others are listed as broken.

Discovery is lazy: the entry points are read without importing anything, and a plugin is
imported the first time something asks for it by name. Only what needs every plugin
(:func:`discover`, :func:`list_presets`, a bare tag) loads them all.

Models are named ``plugin.tag``; a tag alone works when only one plugin
ships it; a path to a checkpoint or run directory works wherever a name does.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import machinery, metadata
from pathlib import Path
from typing import Any

from artgan.checkpoint import find_checkpoint
from artgan.errors import ArtganError, did_you_mean
from artgan.plugin import Plugin, Preset, validate_plugin
from artgan.presets import preset_path

GROUP = "artgan.plugins"
log = logging.getLogger("artgan")


@dataclass
class PluginRecord:
    """What discovery found under one entry point: a usable plugin or the reason it is not."""

    name: str  # the entry point's name
    target: str  # "module:attribute" the entry point names
    distribution: str | None  # the pip package that registered it
    version: str | None  # that package's version
    plugin: Plugin | None = None
    error: str | None = None
    first_party: bool = False  # registered by artgan's own distribution

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


#: The distribution whose entry points are first-party: a name it registers is never taken over.
OWN_DISTRIBUTION = "artgan"


@dataclass
class _Index:
    """The entry points of the group, read without importing anything, and the plugins loaded so far."""

    winners: dict[str, tuple[Any, PluginRecord]]  # name → (its entry point, its record, loaded or not)
    losers: dict[str, PluginRecord]  # "name (package)" → why that entry point was not used
    unreadable: dict[str, PluginRecord] = field(default_factory=dict)  # "? (package)" → why its entry points are unknown
    loaded: set[str] = field(default_factory=set)  # names whose entry point was imported


@dataclass(frozen=True)
class Unreadable:
    """A package (or a place packages are looked for) whose entry points could not be read."""

    package: str  # the package's name, or what was being read when even that is unknown
    error: str  # what reading raised, and the remedy


#: What discovery knows in this process; tests reset it to None to rediscover.
_cache: _Index | None = None


def _entry_points() -> list[Any]:
    """The group's entry points, read package by package in ``sys.path`` order, and an
    :class:`Unreadable` for each package or path entry that could not be read (a seam for tests
    to fake installed packages)."""
    distributions, found = _installed()
    seen: set[str] = set()
    for dist in distributions:
        found.extend(_read_distribution(dist, seen))
    return found


def _installed() -> tuple[list[Any], list[Any]]:
    """Every installed distribution, and what could not be listed.

    Listing them all at once fails as a whole on one bad ``sys.path`` entry (a bytes path) or a
    finder that raises; then the standard path finder is asked entry by entry, so only the
    entry that fails is lost (with a third-party finder's packages, reported as a whole).
    """
    try:
        return list(metadata.distributions()), []
    except BaseException as exc:  # third-party finders may raise anything
        if not _contained(exc):
            raise
        failure = _describe(exc)
    distributions: list[Any] = []
    problems: list[Any] = []
    for entry in list(sys.path):
        try:
            distributions.extend(machinery.PathFinder.find_distributions(metadata.DistributionFinder.Context(path=[entry])))
        except BaseException as exc:
            if not _contained(exc):
                raise
            problems.append(Unreadable(
                f"sys.path entry {entry!r}",
                f"the sys.path entry {entry!r} cannot be searched for packages ({_describe(exc)}), so the plugins of "
                "packages there are missing; remove or fix that entry (PYTHONPATH, a .pth file, or code that edits sys.path)"))
    if not problems:
        problems.append(Unreadable(
            "installed packages",
            f"listing the installed packages failed ({failure}), so they were read path by path and packages only "
            "an import hook (a finder on sys.meta_path) provides are missing; update or uninstall the package that "
            "installs that hook"))
    return distributions, problems


def _read_distribution(dist: Any, seen: set[str]) -> list[Any]:
    """The group's entry points of one distribution, [] for a copy shadowed by one earlier on the
    path (as ``importlib.metadata.entry_points`` does), or an :class:`Unreadable` saying why not."""
    key = _distribution_key(dist)
    if key is not None:
        if key in seen:
            return []
        seen.add(key)
    try:
        return [ep for ep in dist.entry_points if ep.group == GROUP]
    except BaseException as exc:  # a corrupt entry_points.txt, bytes that are not UTF-8, a finder's own class
        if not _contained(exc):
            raise
        return [_unreadable(dist, key, exc)]


def _attempt(read: Callable[[], Any]) -> Any:
    """What ``read()`` gives, or None if it raises (anything but Ctrl-C): for metadata that only labels."""
    try:
        return read()
    except BaseException as exc:  # a third-party distribution's metadata may raise anything
        if not _contained(exc):
            raise
        return None


def _distribution_key(dist: Any) -> str | None:
    """The distribution's normalised name: from its folder's name where the standard library
    offers it (cheap, no metadata read), else from its metadata; None if neither can be read."""
    name = _attempt(lambda: getattr(dist, "_normalized_name", None) or dist.metadata["Name"])
    return _normalise(name) if isinstance(name, str) and name else None


def _unreadable(dist: Any, key: str | None, exc: BaseException) -> Unreadable:
    """The record of a distribution whose entry points raised ``exc``, with where it lies and the remedy."""
    name = _attempt(lambda: dist.metadata["Name"]) or key
    # the standard library's distributions are folders (a private attribute); others may say where via locate_file
    where = _attempt(lambda: str(getattr(dist, "_path", None) or dist.locate_file(""))) or "an unknown place"
    if name:
        remedy = (f"reinstall it (pip install --force-reinstall {name}; a checkout: pip install -e . again) "
                  f"or uninstall it (pip uninstall {name})")
    else:
        remedy = "reinstall or remove the package installed there"
    return Unreadable(str(name or where), f"the entry points of the installed package {name or '?'} ({where}) cannot "
                                          f"be read ({_describe(exc)}), so any artgan plugin it brings is missing; {remedy}")


def _contained(exc: BaseException) -> bool:
    """Whether a plugin's exception is filed as its breakage (all but Ctrl-C, which stops artgan)."""
    return not isinstance(exc, KeyboardInterrupt)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _record_of(ep: Any) -> PluginRecord:
    """A not-yet-loaded record for ``ep`` from its distribution's metadata (nothing is imported)."""
    distribution = version = None
    try:
        dist = getattr(ep, "dist", None)
        if dist is not None:
            distribution, version = dist.metadata["Name"], dist.version
    except Exception:  # unreadable metadata: the package stays anonymous, not fatal
        pass
    first = distribution is not None and _normalise(distribution) == OWN_DISTRIBUTION
    return PluginRecord(name=ep.name, target=ep.value, distribution=distribution, version=version, first_party=first)


def _normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")


def _holder_key(record: PluginRecord) -> tuple[bool, str, str]:
    """Who keeps a name several entry points claim: first-party first, then by package, then target."""
    return (not record.first_party, _normalise(record.distribution or ""), record.target)


def _index() -> _Index:
    """Read the entry points once per process and settle who holds each name."""
    global _cache
    if _cache is not None:
        return _cache
    claims: dict[str, list[tuple[Any, PluginRecord]]] = {}
    seen: set[tuple[str, str, str | None]] = set()
    unreadable: dict[str, PluginRecord] = {}
    for ep in _entry_points():
        if isinstance(ep, Unreadable):
            key = f"? ({ep.package})" if f"? ({ep.package})" not in unreadable else f"? ({ep.package}, {len(unreadable) + 1})"
            unreadable[key] = PluginRecord(name="?", target="", distribution=ep.package, version=None, error=ep.error)
            continue
        record = _record_of(ep)
        key = (record.name, record.target, record.distribution)
        if key not in seen:  # the same package found twice on the path is one plugin
            seen.add(key)
            claims.setdefault(record.name, []).append((ep, record))
    winners, losers = {}, {}
    for name in sorted(claims):
        ranked = sorted(claims[name], key=lambda claim: _holder_key(claim[1]))
        winners[name] = ranked[0]
        holder = ranked[0][1]
        for _, record in ranked[1:]:
            if holder.first_party:
                record.error = (f"the name {name!r} belongs to artgan's own plugin, so it is already taken; rename "
                                f"this entry point ({record.target}) and the plugin's `name` in its package's pyproject.toml")
            else:
                record.error = (f"the name {name!r} is already taken by {holder.distribution or holder.target} "
                                f"({holder.target}), which sorts first; rename the entry point (and the plugin's "
                                "`name`) of one of them, or uninstall one")
            key = f"{name} ({record.distribution or record.target})"
            if key in losers:
                key = f"{name} ({record.distribution}, {record.target})"
            losers[key] = record
    _cache = _Index(winners=winners, losers=losers, unreadable=unreadable)
    return _cache


def _load(name: str) -> PluginRecord | None:
    """The record of the plugin holding ``name``, importing and validating it on first use only."""
    index = _index()
    if name not in index.winners:
        return None
    ep, record = index.winners[name]
    if name not in index.loaded:
        _load_into(ep, record)
        index.loaded.add(name)  # after: a Ctrl-C half-way leaves it to be loaded again
    return record


def _load_into(ep: Any, record: PluginRecord) -> None:
    """Import, instantiate and validate one plugin; any failure of its code becomes ``record.error``."""
    try:
        obj = ep.load()
        plugin = obj() if isinstance(obj, type) else obj
    except BaseException as exc:  # third-party code may raise anything, even SystemExit
        if not _contained(exc):
            raise
        record.error = f"import failed: {_describe(exc)}"
        return
    try:
        problems = validate_plugin(plugin, record.name)
    except BaseException as exc:
        if not _contained(exc):
            raise
        problems = [f"checking it failed: {_describe(exc)}"]
    if problems:
        record.error = "; ".join(problems)
    else:
        record.plugin = plugin


def plugin_names(*, first_party: bool | None = None) -> list[str]:
    """Names of the installed plugins, first-party ones first, each group sorted; nothing is imported.

    ``first_party`` keeps only first-party (True) or only third-party (False) names.
    """
    winners = _index().winners
    names = sorted(winners, key=lambda n: (not winners[n][1].first_party, n))
    return [n for n in names if first_party is None or winners[n][1].first_party == first_party]


def plugin_record(name: str) -> PluginRecord | None:
    """The record of the plugin that holds ``name`` (loading only that plugin), or None if none does."""
    return _load(name)


def discover(*, refresh: bool = False) -> dict[str, PluginRecord]:
    """Every plugin installed, by name, each loaded and validated once per process.

    Entry points that lost their name to another package come right after the winner, as
    broken records under ``"name (package)"``; packages whose entry points could not be read
    come last, as broken records under ``"? (package)"``.
    """
    global _cache
    if refresh:
        _cache = None
    index = _index()
    records: dict[str, PluginRecord] = {}
    for name in sorted(index.winners):
        records[name] = _load(name)
        records.update((key, r) for key, r in index.losers.items() if r.name == name)
    records.update(index.unreadable)
    return records


def unreadable_packages() -> list[PluginRecord]:
    """The packages (or ``sys.path`` entries) whose entry points could not be read, as broken
    records; ``importlib.metadata.entry_points()``, which others call (``import torch`` does),
    fails as a whole on each of them."""
    return list(_index().unreadable.values())


def _unreadable_note() -> str:
    """For a "not found" error: which packages' plugins may be missing because they could not be read."""
    packages = [record.distribution for record in _index().unreadable.values()]
    if not packages:
        return ""
    return f"; the entry points of {', '.join(map(str, packages))} could not be read, so their plugins are missing (see `artgan plugins`)"


def get_plugin(name: str) -> Plugin:
    """The plugin called ``name``, or an error that suggests the right one (only that plugin is loaded)."""
    record = _load(name)
    if record is None:
        names = plugin_names()
        raise ArtganError(f"unknown plugin {name!r}{did_you_mean(name, names)} (installed: {', '.join(names) or 'none'})"
                          + _unreadable_note())
    if not record.ok:
        raise ArtganError(f"plugin {name!r} is broken: {record.error}")
    return record.plugin


def plugin_version(plugin: Plugin) -> str | None:
    """Version of the package that registered ``plugin``."""
    record = _load(plugin.name)
    return record.version if record else None


def list_presets() -> list[tuple[str, Plugin, Preset]]:
    """All shipped models as ``(full name, plugin, preset)``, sorted by name."""
    found = [
        (f"{r.plugin.name}.{p.tag}", r.plugin, p)
        for r in discover().values() if r.ok for p in r.plugin.presets
    ]
    return sorted(found, key=lambda item: item[0])


def list_models() -> list[dict[str, Any]]:
    """Every shipped model: name, plugin, task, size, licence and description (nothing is loaded)."""
    from artgan.checkpoint import WEIGHTS_FILE

    rows = []
    for full, plugin, preset in list_presets():
        size = None
        if preset.path is not None:
            weights = Path(preset.path) / WEIGHTS_FILE
            size = weights.stat().st_size if weights.exists() else None
        rows.append({
            "name": full,
            "plugin": plugin.name,
            "task": preset.task,
            "verbs": [verb.name for verb in plugin.verbs],
            "size_bytes": size,
            "licence": preset.licence,
            "description": preset.description,
            "source": "shipped" if preset.path is not None else preset.url,
        })
    return rows


def resolve_model(name: str, *, verb: str | None = None) -> ModelRef:
    """Resolve a model name, tag or checkpoint path; ``verb`` breaks ties between tags (the
    plugin that offers it wins)."""
    if _looks_like_path(name):
        return _checkpoint_ref(name)
    try:
        ref = _resolve_name(name, verb)
    except ArtganError:
        if Path(name).exists():  # not a model's name, but a folder here: a run or checkpoint
            return _checkpoint_ref(name)
        raise
    folder = Path(name)
    if name not in _WARNED and ((folder / "config.json").is_file() or (folder / "checkpoints").is_dir()):
        _WARNED.add(name)
        log.warning("%r is the shipped model %s; for the run in the folder of that name, write ./%s", name, ref.name, name)
    return ref


_WARNED: set[str] = set()  # names already warned about in this process


def _checkpoint_ref(path: str) -> ModelRef:
    checkpoint = find_checkpoint(Path(path).expanduser())
    return ModelRef(name=path, plugin=get_plugin(checkpoint.plugin), path=checkpoint.path)


def _resolve_name(name: str, verb: str | None) -> ModelRef:
    """A shipped model by ``plugin.tag``, or by a tag that only one plugin (or only one offering ``verb``) has."""
    owner, dot, tag = name.partition(".")
    if dot and owner in _index().winners:  # "plugin.tag" needs only that plugin
        plugin = get_plugin(owner)
        preset = next((p for p in plugin.presets if p.tag == tag), None)
        if preset is not None:
            return ModelRef(name=name, plugin=plugin, path=preset_path(plugin, preset), preset=preset)
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
    raise ArtganError(f"unknown model {name!r}{did_you_mean(name, choices)} (models: {known}; or give a checkpoint directory)"
                      + _unreadable_note())


def _looks_like_path(name: str) -> bool:
    """Written as a path (``runs/x``, ``./mymodel``, ``~/m``); a bare word is a model's name first,
    so a folder that happens to be called like a shipped model does not hide it."""
    return os.sep in name or "/" in name or name.startswith((".", "~"))
