"""A verb's typed options as page controls, the page's answers as options, and the equivalent
command line.

Every control is generated from the options dataclass (:func:`artgan.config.option` keeps
each field's help, range and parser): a checkbox for a ``bool``, a dropdown for a
``Literal`` and for a ``label`` field of a model with class names, a slider for a number
with both bounds, a number box for other numbers, and a text box for the rest (free-form
fields with their own parser, such as sizes or mixes). The page sends every value back as
text, exactly what a user would type after the option's flag, so the command line's parser
reads it and the "copy as command" line is the same text. Nothing here imports torch.
"""

from __future__ import annotations

import dataclasses
import shlex
import typing
from collections.abc import Mapping
from typing import Any, Literal

from artgan.config import make_options
from artgan.errors import ArtganError

#: Flags the core's verb runner keeps for itself (see ``artgan run MODEL VERB --help``): an option
#: whose flag would be one of these is reachable as ``-p name=value`` only.
CORE_FLAGS = frozenset({"-o", "--out", "--seed", "-p", "--param", "--columns", "--overwrite", "--device", "--json"})
#: Also taken for verbs that run over pictures.
PICTURE_FLAGS = frozenset({"--skip-existing"})
#: A whole-number range up to this wide gets a slider; wider ones a number box.
SLIDER_SPAN = 1000
#: The field name the label grammar of :mod:`artgan.labels` gives a class choice.
LABEL_FIELD = "label"


def controls(options_cls: type, labels: list[str] | tuple[str, ...] = (),
             defaults: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One control description per field of ``options_cls``, JSON-ready, in field order.

    Each has ``name``, ``title``, ``help``, ``kind`` (checkbox, select, slider, number, text),
    ``default`` (as text, "" for none) and what its kind needs (``choices``; ``minimum``,
    ``maximum``, ``step``, ``integer``; ``optional`` where an empty box means "none").
    ``defaults`` are a preset's own option values for this verb; they replace the field's.
    """
    hints = typing.get_type_hints(options_cls)
    return [_control(f, hints[f.name], list(labels), defaults or {}) for f in dataclasses.fields(options_cls)]


def _control(f: dataclasses.Field, hint: Any, labels: list[str], defaults: Mapping[str, Any]) -> dict[str, Any]:
    default = f.default if f.default is not dataclasses.MISSING else None
    default = defaults.get(f.name, default)
    parse = f.metadata.get("parse")
    bounds = f.metadata.get("range")
    base, optional = _unwrap(hint)
    row: dict[str, Any] = {"name": f.name, "title": f.name.replace("_", " "), "help": f.metadata.get("help", ""),
                           "default": as_text(default), "optional": optional or default is None}
    if f.name == LABEL_FIELD and labels:
        fixed = f.name in defaults  # a preset that fixes its class offers the classes, not "random"
        return {**row, "kind": "select", "choices": ([] if fixed else [""]) + labels, "optional": not fixed}
    if base is bool and parse is None:
        return {**row, "kind": "checkbox", "default": "true" if default else "false", "optional": False}
    if typing.get_origin(base) is Literal:
        choices = [as_text(a) for a in typing.get_args(base)]
        return {**row, "kind": "select", "choices": ([""] if row["optional"] else []) + choices}
    if base in (int, float) and parse is None:
        low = _first(bounds, "minimum", "above")
        high = _first(bounds, "maximum", "below")
        integer = base is int
        step = 1 if integer else _step(low, high)
        number = {**row, "minimum": low, "maximum": high, "step": step, "integer": integer}
        if low is not None and high is not None and (not integer or high - low <= SLIDER_SPAN):
            return {**number, "kind": "slider"}
        return {**number, "kind": "number"}
    return {**row, "kind": "text"}


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``X | None`` → ``(X, True)``; anything else → ``(hint, False)``."""
    args = typing.get_args(hint)
    if type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None)), True
    return hint, False


def _first(bounds: Any, *names: str) -> float | None:
    if bounds is None:
        return None
    values = [getattr(bounds, n) for n in names if getattr(bounds, n) is not None]
    return values[0] if values else None


def _step(low: float | None, high: float | None) -> float:
    """A float slider moves in hundredths of its span (or 0.01 without one)."""
    if low is None or high is None or high <= low:
        return 0.01
    return (high - low) / 100


def as_text(value: Any) -> str:
    """A default as a user would type it: "" for None, true/false, a comma list for a tuple."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(as_text(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- the page's answers
def read_options(options_cls: type, texts: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None,
                 what: str = "option") -> tuple[Any, dict[str, str]]:
    """The options from the page's texts, and the texts of the fields that differ from their
    defaults (``defaults``: a preset's own values, else the field's), which are what the verb
    is given, what provenance records and what the command line shows. Empty texts mean the default.

    Raises :class:`ArtganError` with the command line's message for an unknown field or a bad value.
    """
    given = {str(k).replace("-", "_"): str(v).strip() for k, v in texts.items() if v is not None and str(v).strip() != ""}
    options = make_options(options_cls, texts=given, what=what)
    usual = make_options(options_cls, dict(defaults or {}), what=what)
    changed = {k: v for k, v in given.items() if getattr(options, k) != getattr(usual, k)}
    return make_options(options_cls, texts=changed, what=what), changed


def read_seed(text: Any) -> int | None:
    """The seed box: empty means "draw one" (None); anything else must be a whole number."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return int(str(text).strip())
    except ValueError:
        raise ArtganError(f"a seed is a whole number, got {str(text).strip()!r}") from None


# --------------------------------------------------------------------------- copy as command
def flag_of(field_name: str, alias: str | None, taken: frozenset[str]) -> str | None:
    """The flag ``artgan run`` gives an option field (as its verb runner names them), or None
    where the core keeps every name the field could have (then only ``-p`` sets it)."""
    primary = f"-{field_name}" if len(field_name) == 1 else f"--{field_name.replace('_', '-')}"
    for flag in (primary, alias):
        if flag and flag not in taken:
            return flag
    return None


def command_line(model: str, verb: str, takes: str, options_cls: type, changed: Mapping[str, str], *,
                 seed: int | None, inputs: list[str] = (), out: str | None = None) -> str:
    """The ``artgan`` command that does what the page did: same model, verb, options and seed."""
    hints = typing.get_type_hints(options_cls)
    fields = {f.name: f for f in dataclasses.fields(options_cls)}
    taken = CORE_FLAGS | (PICTURE_FLAGS if takes == "image" else frozenset())
    if verb == "generate" and takes == "nothing":
        words = ["artgan", "generate", model]
    else:
        words = ["artgan", "run", model, verb, *inputs]
    for name, text in changed.items():
        f = fields[name.replace("-", "_")]
        flag = flag_of(f.name, f.metadata.get("flag"), taken)
        switch = hints[f.name] is bool and f.metadata.get("parse") is None
        if flag is None or (switch and text.lower() in ("false", "no", "off", "0")):
            words += ["-p", f"{f.name}={text}"]
        elif switch:
            words.append(flag)
        else:
            words += [flag, text]
    if seed is not None:
        words += ["--seed", str(seed)]
    if out is not None:
        words += ["-o", out]
    return " ".join(shlex.quote(w) for w in words)
