"""What the page offers: every installed model, grouped by the verbs that run it.

Models are the presets of the installed plugins (:func:`artgan.registry.list_presets`) and
any run or checkpoint folders given with ``--model``; a verb is offered on a tab of its own
name, with the models of every plugin that declares it. A model's controls come from the
verb's options (:mod:`artgan.studio.controls`) and its class names, read from its
checkpoint's ``config.json`` without loading any weights. Broken plugins and plugins with
no model to run are listed with the reason, as ``artgan plugins`` shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artgan.checkpoint import find_checkpoint
from artgan.config import from_dict
from artgan.errors import ArtganError
from artgan.plugin import Plugin, Preset, Verb
from artgan.registry import discover, list_presets, resolve_model
from artgan.studio.controls import controls

log = logging.getLogger("artgan")
#: Suffixes a browser shows as a picture: a writer that takes one gives an output a preview.
BROWSER_PICTURES = (".png", ".jpg", ".jpeg", ".webp", ".gif")


@dataclass
class Entry:
    """One model the page can run: its name, plugin, and what the page needs to know about it."""

    name: str  # "plugin.tag", or the folder given with --model
    plugin: Plugin
    description: str = ""  # one line for the model dropdown
    licence: str = ""  # licence of the weights
    labels: list[str] = field(default_factory=list)  # class names of a conditional model
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # verb → the preset's own option values

    def verb(self, name: str) -> Verb:
        """The verb ``name`` of this model's plugin, or the error the command line gives."""
        verbs = {v.name: v for v in self.plugin.verbs}
        if name not in verbs:
            raise ArtganError(f"{self.name} cannot {name!r}; it can: {', '.join(verbs)}")
        return verbs[name]


def suffixes(plugin: Plugin, output: type) -> list[str]:
    """The suffixes a verb's output can be written as: the plugin's writers first, then the
    core's ("" is a folder)."""
    from artgan.writers import table

    return list(table(output, plugin.writers))


class Catalog:
    """The models and verbs installed now; built once when the studio starts."""

    def __init__(self, extra: list[str] | tuple[str, ...] = ()) -> None:
        self.entries: dict[str, Entry] = {}
        self.problems: list[str] = []  # what the page shows about plugins it cannot offer
        for full, plugin, preset in list_presets():
            own = {verb: dict(values) for verb, values in (getattr(preset, "options", None) or {}).items()}
            self.entries[full] = Entry(full, plugin, preset.description, preset.licence, _preset_labels(plugin, preset), own)
        for path in extra:
            ref = resolve_model(path)  # a bad folder is the command line's error, before the server starts
            self.entries[ref.name] = Entry(ref.name, ref.plugin, f"{ref.plugin.name} model in {path}", "see its run",
                                           _labels(ref.plugin, ref.path))
        offered = {entry.plugin.name for entry in self.entries.values()}
        for key, record in discover().items():
            if not record.ok:
                self.problems.append(f"{key}: broken ({record.error})")
            elif record.name not in offered:
                self.problems.append(f"{key}: no shipped model; train one and start the studio with --model RUN_FOLDER")

    def entry(self, name: str) -> Entry:
        """The model called ``name`` on the page, or an error naming the ones there are."""
        if name not in self.entries:
            raise ArtganError(f"unknown model {name!r} (the studio offers: {', '.join(self.entries) or 'none'})")
        return self.entries[name]

    def describe(self) -> dict[str, Any]:
        """The page's catalogue: a tab per verb name (picture verbs first), each with its models."""
        tabs: dict[str, dict[str, Any]] = {}
        for entry in self.entries.values():
            for verb in entry.plugin.verbs:
                tab = tabs.setdefault(verb.name, {"name": verb.name, "help": verb.help, "takes": verb.takes, "models": []})
                tab["models"].append(_model_row(entry, verb))
        order = sorted(tabs.values(), key=lambda t: (t["takes"] == "nothing", t["name"]))
        return {"verbs": order, "problems": self.problems}


def _model_row(entry: Entry, verb: Verb) -> dict[str, Any]:
    formats = suffixes(entry.plugin, verb.output)
    return {
        "name": entry.name,
        "plugin": entry.plugin.name,
        "description": entry.description,
        "licence": entry.licence,
        "help": verb.help,
        "takes": verb.takes,
        "output": verb.output.__name__,
        "labels": entry.labels,
        "controls": controls(verb.Options, entry.labels, entry.defaults.get(verb.name)),
        "formats": [s or "folder" for s in formats],
    }


def _preset_labels(plugin: Plugin, preset: Preset) -> list[str]:
    """Class names of a shipped preset (a preset fetched from a URL is not fetched for this)."""
    if preset.path is None:
        return []
    return _labels(plugin, Path(preset.path))


def _labels(plugin: Plugin, path: Path) -> list[str]:
    """Class names from a checkpoint's config.json; none if it cannot be read (the run says why)."""
    try:
        config = from_dict(plugin.Config, find_checkpoint(path).meta["model_config"], what=f"{path} model config")
        return [str(name) for name in plugin.label_names(config)]
    except (ArtganError, KeyError, OSError, ValueError) as exc:
        log.warning("studio: cannot read the class names of %s (%s)", path, exc)
        return []
