"""Configs and options: :class:`TrainConfig`, ``-c``/``-p key=value``, verb options, JSON round trip.

Model settings live in each plugin's own ``Config`` dataclass; training settings the engine
owns live in :class:`TrainConfig`; each verb's options live in its ``Options`` dataclass
(fields made with :func:`option` carry their help text, a short flag and a parser). All are
plain dataclasses, so they print, compare and serialise without ceremony. Every value given
as text or from Python is type-checked against the field's annotation, and checked against the
range its field declares (:func:`setting`, :func:`option`) wherever it comes in: ``-c``,
``-p``, Python, a checkpoint's ``config.json``. Numbers are finite and fit in 64 bits.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from artgan.errors import ArtganError, did_you_mean

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_INT_LIMIT = 2**63  # integers must fit in a signed 64-bit value (what torch and numpy hold)


# --------------------------------------------------------------------------- ranges
@dataclass(frozen=True)
class Range:
    """The valid values of a number (or of every item of a tuple of numbers): ``minimum``/``above``
    bound it from below (inclusive/exclusive), ``maximum``/``below`` from above."""

    minimum: float | None = None
    above: float | None = None
    maximum: float | None = None
    below: float | None = None

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None."""
        tests = ((self.minimum, "≥", lambda b: value >= b), (self.above, ">", lambda b: value > b),
                 (self.maximum, "≤", lambda b: value <= b), (self.below, "<", lambda b: value < b))
        failed = [f"{sign} {bound:g}" for bound, sign, holds in tests if bound is not None and not holds(bound)]
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"must be {self.describe()}, got {shown}" if failed else None

    def describe(self) -> str:
        """``"≥ 1, ≤ 64"``: the bounds as text."""
        bounds = ((self.minimum, "≥"), (self.above, ">"), (self.maximum, "≤"), (self.below, "<"))
        return ", ".join(f"{sign} {bound:g}" for bound, sign in bounds if bound is not None)


def setting(default: Any, *, minimum: float | None = None, above: float | None = None, maximum: float | None = None,
            below: float | None = None, before: Any = dataclasses.MISSING) -> Any:
    """A config field with its valid range, declared once and checked wherever a value comes in
    (``-c``, Python, a checkpoint's ``config.json``). For a tuple the range applies to every item.

    ``before`` is for a setting added after checkpoints were written without it: the value those
    checkpoints were trained with. :func:`from_dict` reads a stored config that lacks the setting
    with it instead of ``default``, so an older model keeps behaving as it did."""
    metadata: dict[str, Any] = {"range": Range(minimum, above, maximum, below)}
    if before is not dataclasses.MISSING:
        metadata["before"] = before
    return dataclasses.field(default=default, metadata=metadata)


def check_ranges(config: Any, *, what: str = "setting", names: Any = None) -> None:
    """Raise ArtganError for the first field of ``config`` (or of ``names``) outside its declared range."""
    for f in dataclasses.fields(config):
        if names is not None and f.name not in names:
            continue
        problem = _range_problem(getattr(config, f.name), f.metadata.get("range"))
        if problem:
            raise ArtganError(f"{what} {f.name}: {problem}")


def _range_problem(value: Any, bounds: Range | None) -> str | None:
    if bounds is None:
        return None
    items = value if isinstance(value, (tuple, list)) else [value]
    for item in items:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            problem = bounds.problem(item)
            if problem:
                return problem
    return None


@dataclass
class TrainConfig:
    """What the engine needs to run a training loop; plugins suggest values via train_defaults."""

    steps: int = setting(10_000, minimum=1)  # total optimisation steps of the run (a resumed run keeps counting)
    batch_size: int = setting(32, minimum=1, maximum=65_536)  # images per step on each process
    seed: int = setting(0, minimum=0)  # seeds weights, noise and data order
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (auto: the plugin's train_precision where the hardware runs it fast)
    channels_last: bool = False  # NHWC memory layout for conv nets (fast with bf16 on CPU/GPU)
    ema_half_life_kimg: float = setting(10.0, minimum=0)  # EMA half-life of the inference nets in thousands of images; 0 = off
    augment: str = ""  # differentiable augmentation of D inputs: comma list of flip,shift,translation,color,cutout (shift: whole pixels; translation blurs)
    lr_decay_start: float = setting(1.0, minimum=0, maximum=1)  # fraction of steps after which lr falls linearly to 0 (1 = constant)
    log_every: int = setting(50, minimum=1)  # steps between stats lines and progress-bar loss updates
    sample_every: int = setting(1000, minimum=0)  # steps between sample grids (0 = never)
    checkpoint_every: int = setting(1000, minimum=0)  # steps between checkpoints (0 = only at the end)
    keep_checkpoints: int = setting(3, minimum=1)  # how many recent checkpoints a run directory keeps
    workers: int = setting(-1, minimum=-1, maximum=64)  # data-loading processes; -1 = auto (0 on CPU, up to 8 on CUDA)
    max_minutes: float = setting(0.0, minimum=0)  # stop (and save) after this many minutes of training in one call; 0 = no limit

    def validate(self) -> None:
        """Raise ArtganError for values that cannot work."""
        if self.precision not in PRECISIONS:
            raise ArtganError(f"invalid training setting: precision must be one of {', '.join(PRECISIONS)}")
        check_ranges(self, what="invalid training setting:")


# --------------------------------------------------------------------------- JSON round trip
def to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def from_dict(cls: type, data: dict[str, Any], *, what: str = "config") -> Any:
    """Rebuild ``cls`` from :func:`to_dict` output, checking names and types. A setting it lacks
    takes the value its field declares for configs stored ``before`` it existed, else its default."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ArtganError(
            f"{what} has unknown setting(s) {', '.join(unknown)}; it was written by a different "
            "version of the plugin: install the version that wrote it"
        )
    values = {k: _coerce(v, hints[k], f"{what} {k}") for k, v in data.items()}
    for f in dataclasses.fields(cls):  # settings added since this config was stored
        if f.name not in values and "before" in f.metadata:
            values[f.name] = f.metadata["before"]
    try:
        config = cls(**values)
    except TypeError as exc:  # a field without a default is missing
        raise ArtganError(f"{what} is incomplete ({exc})") from None
    check_ranges(config, what=what)
    return config


# --------------------------------------------------------------------------- verb options
def option(default: Any = None, help: str = "", *, flag: str | None = None,
           parse: Callable[[Any], Any] | None = None, minimum: float | None = None, above: float | None = None,
           maximum: float | None = None, below: float | None = None) -> Any:
    """A field of a verb's ``Options`` dataclass with its command-line help.

    ``flag`` is a short alias (``"-n"``); ``parse`` turns what a user gives (the text of a
    command-line flag, or a Python value) into the field's value and raises ArtganError on
    nonsense; without it values are checked against the field's annotation. ``minimum``,
    ``above``, ``maximum`` and ``below`` bound a number (as for :func:`setting`).
    """
    bounds = Range(minimum, above, maximum, below) if (minimum, above, maximum, below) != (None,) * 4 else None
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag, "parse": parse, "range": bounds})


def make_options(cls: type, values: Mapping[str, Any] = {}, texts: Mapping[str, str] = {}, *, what: str = "option") -> Any:
    """An instance of the options dataclass ``cls`` from Python ``values`` and texts (``-p key=value``)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    chosen: dict[str, Any] = {}
    for key, value in [*values.items(), *texts.items()]:
        name = key.replace("-", "_")
        if name not in fields:
            known = ", ".join(fields) or "none"
            raise ArtganError(f"unknown {what} {key!r}{did_you_mean(name, fields)} (options: {known})")
        if name in chosen:
            raise ArtganError(f"{what} {key!r} is given twice")
        parse = fields[name].metadata.get("parse")
        where = f"{what} {key}"
        try:
            if parse is not None:
                chosen[name] = parse(value)
            elif key in texts:
                chosen[name] = _parse(str(value).strip(), hints[name], where)
            else:
                chosen[name] = _coerce(value, hints[name], where)
            problem = _range_problem(chosen[name], fields[name].metadata.get("range"))
            if problem:
                raise ArtganError(problem)
        except ArtganError as exc:
            message = str(exc)
            raise ArtganError(message if message.startswith(where) else f"{where}: {message}") from None
    return cls(**chosen)


_METAVARS = {int: "INTEGER", float: "NUMBER", str: "TEXT"}


def option_table(cls: type) -> list[dict[str, Any]]:
    """The fields of an options dataclass as ``{name, flag, help, default, is_flag, metavar}``
    rows (what a command line needs to offer them)."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else None
        rows.append({
            "name": f.name,
            "flag": f.metadata.get("flag"),
            "help": f.metadata.get("help", ""),
            "default": default,
            "is_flag": hints[f.name] is bool and f.metadata.get("parse") is None,
            "metavar": _METAVARS.get(_is_optional(hints[f.name]) and next(a for a in typing.get_args(hints[f.name]) if a is not type(None))
                                     or hints[f.name], "VALUE"),
        })
    return rows


# --------------------------------------------------------------------------- overrides
def render_overrides(values: dict[str, Any]) -> list[str]:
    """``{"batch_size": 16, "augment": "color"}`` as ``["batch_size=16", "augment=color"]``."""
    return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in values.items()]


def apply_overrides(
    model: Any, train: TrainConfig, overrides: list[str]
) -> tuple[Any, TrainConfig]:
    """Apply ``key=value`` strings to the model config and the train config.

    ``model.key`` and ``train.key`` name a config explicitly; a bare ``key`` works when
    exactly one of the two has it. Values are parsed by the field's type: numbers, booleans
    (true/false/yes/no/1/0), ``none`` for optional fields, JSON or comma lists for tuples.
    """
    targets = {"model": model, "train": train}
    changes: dict[str, dict[str, Any]] = {"model": {}, "train": {}}
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ArtganError(f"-c {item!r}: write overrides as key=value, e.g. -c batch_size=16")
        scope, field_name = _locate(key, targets)
        hint = typing.get_type_hints(type(targets[scope]))[field_name]
        value = _parse(text.strip(), hint, f"-c {key}")
        bounds = {f.name: f.metadata.get("range") for f in dataclasses.fields(targets[scope])}[field_name]
        problem = _range_problem(value, bounds)
        if problem:
            raise ArtganError(f"-c {key}: {problem}")
        changes[scope][field_name] = value
    return (
        dataclasses.replace(model, **changes["model"]),
        dataclasses.replace(train, **changes["train"]),
    )


def _locate(key: str, targets: dict[str, Any]) -> tuple[str, str]:
    fields = {scope: {f.name for f in dataclasses.fields(cfg)} for scope, cfg in targets.items()}
    scope, dot, name = key.partition(".")
    if dot and scope in targets:
        if name in fields[scope]:
            return scope, name
        raise ArtganError(f"-c {key}: no {scope} setting {name!r}{did_you_mean(name, fields[scope])}")
    owners = [s for s in targets if key in fields[s]]
    if len(owners) == 1:
        return owners[0], key
    if len(owners) > 1:
        raise ArtganError(f"-c {key}: both model and train have {key!r}; write model.{key} or train.{key}")
    everything = sorted(fields["model"] | fields["train"])
    raise ArtganError(
        f"-c {key}: unknown setting{did_you_mean(key, everything)} "
        f"(settings: {', '.join(everything)})"
    )


def _parse(text: str, hint: Any, where: str) -> Any:
    """Turn the text of an override into a value of type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:  # JSON where it reads as JSON, else the text itself
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if _is_optional(hint):
        if text.lower() in ("none", "null"):
            return None
        inner = next(a for a in args if a is not type(None))
        return _parse(text, inner, where)
    if hint is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise ArtganError(f"{where}: expected true or false, got {text!r}")
    if hint in (int, float):
        try:
            number = float(text) if hint is float else int(text)
        except ValueError:
            raise ArtganError(f"{where}: expected {'a number' if hint is float else 'an integer'}, got {text!r}") from None
        return _check_number(number, where)
    if hint is str:
        return text
    if origin is Literal:
        if text not in [str(a) for a in args]:
            raise ArtganError(f"{where}: expected one of {', '.join(map(str, args))}, got {text!r}")
        return next(a for a in args if str(a) == text)
    if origin in (tuple, list):
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            items = [t.strip() for t in text.split(",") if t.strip()]
        if not isinstance(items, list):
            items = [items]
        return _coerce([str(i) if not isinstance(i, str) else i for i in items], hint, where, parse=True)
    try:
        return _coerce(json.loads(text), hint, where)
    except json.JSONDecodeError:
        raise ArtganError(f"{where}: could not read {text!r} as {hint}") from None


def _coerce(value: Any, hint: Any, where: str, parse: bool = False) -> Any:
    """Check a JSON value against ``hint``, turning lists into tuples where declared."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if _is_optional(hint):
        if value is None:
            return None
        return _coerce(value, next(a for a in args if a is not type(None)), where, parse)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ArtganError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ArtganError(f"{where}: expected {len(args)} values, got {len(value)}")
            items = [_coerce_item(v, a, where, parse) for v, a in zip(value, args)]
        else:
            item_hint = args[0] if args else Any
            items = [_coerce_item(v, item_hint, where, parse) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ArtganError(f"{where}: expected a mapping, got {value!r}")
        return value
    if origin is Literal:
        if value not in args:
            raise ArtganError(f"{where}: expected one of {', '.join(map(str, args))}, got {value!r}")
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _check_number(float(value), where)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return _check_number(value, where)
    if isinstance(hint, type) and isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ArtganError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _check_number(number: int | float, where: str) -> int | float:
    """``number`` if it is finite and fits in 64 bits; nan, inf and astronomic values are refused."""
    if isinstance(number, float) and not math.isfinite(number):
        raise ArtganError(f"{where}: must be a finite number, got {number}")
    if isinstance(number, int) and not -_INT_LIMIT <= number < _INT_LIMIT:
        raise ArtganError(f"{where}: {number} is too large (integers must fit in 64 bits)")
    return number


def _coerce_item(value: Any, hint: Any, where: str, parse: bool) -> Any:
    return _parse(value, hint, where) if parse and isinstance(value, str) else _coerce(value, hint, where)


def _is_optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (Union, types.UnionType) and type(None) in typing.get_args(hint)
