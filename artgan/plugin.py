"""The contract a plugin fulfils, and its cheap validation.

A plugin brings a model family: its networks by role, the optimisation phases that train
them, a dataset, the loss maths, inference *verbs* with typed options and typed outputs,
*writers* for output formats of its own and, if it likes, command-line *commands*. The engine
owns everything else (optimizers, the loop, EMA, precision, distribution, checkpoints,
progress); the core owns loading, seeds, the raster formats and every file write.

Plugins are found through the entry-point group ``artgan.plugins``; the object an entry
point names is a :class:`Plugin` instance (or a class that takes no arguments). Importing a
plugin module must be cheap: keep ``torch`` and model code out of module scope and import
them inside :meth:`Plugin.build`, the verbs and friends. ``artgan --help`` imports every plugin.

Conventions shared by all plugins:

- images are float tensors ``N×C×H×W`` in ``[-1, 1]`` on the runtime's device;
- dataset items are an image tensor, an ``(image, label)`` tuple, or a dict of tensors;
  the engine moves whole batches to the device;
- ``loss`` only computes: it never calls ``backward()``, steps an optimizer or moves
  tensors between devices. A lazy phase (``every=k``) writes its loss at its nominal weight:
  the engine multiplies it by ``k`` and rescales the shared Adam as StyleGAN2-ADA does;
- errors a user can cause (bad data, a bad option value) are :class:`~artgan.errors.ArtganError`
  with a remedy in the message.

The full guide, with every hook's signature, is ``docs/plugins.md``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from artgan.errors import ArtganError
from artgan.outputs import Output

if TYPE_CHECKING:  # torch stays off the import path of `artgan plugins`
    import contextlib

    import torch
    from torch import nn

#: Version of this contract. A plugin declares the version it was written for; a mismatch
#: marks it broken with a message that says what to change, instead of failing at run time.
API_VERSION = 2

#: What changed from each older contract version, for the message a plugin written for it gets.
MIGRATIONS = {
    1: (
        "declare `roles` (every role build() makes) and `verbs` (each a Verb with an options "
        "dataclass and a typed output) instead of `task` with `generate()`/`translate()`; write "
        "`preview()`; write lazy regularisers at their nominal weight (the engine now multiplies a "
        "phase's loss by its `every`); return None from `test_source()` for the default test images; "
        "then set `api_version = 2` (docs/plugins.md, 'From API 1 to 2')"
    ),
}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TAKES = ("nothing", "image", "images")


@dataclass(frozen=True)
class Phase:
    """One optimisation phase: minimise ``plugin.loss(name, ...)`` w.r.t. the ``trains`` nets.

    Phases that train the same roles share one Adam optimizer (so a lazy regulariser that
    runs every k steps shares moments with the main discriminator phase); they must then
    agree on ``lr`` and ``betas``. For a lazy phase the engine multiplies the loss by
    ``every`` and gives the shared Adam ``lr·r`` and ``betas**r`` with ``r = every/(every+1)``
    (Karras et al. 2020, StyleGAN2 §B "lazy regularization"); write the loss at its nominal weight.
    """

    name: str  # passed to Plugin.loss; unique within a plugin
    trains: tuple[str, ...]  # roles whose parameters this phase updates
    every: int = 1  # run on steps where step % every == 0 (lazy regularisation)
    lr: float = 2e-4  # Adam learning rate
    betas: tuple[float, float] = (0.5, 0.999)  # Adam betas


@dataclass(frozen=True)
class Preset:
    """A named pretrained model a plugin ships: ``<plugin>.<tag>``.

    ``path`` is a checkpoint directory (``config.json`` + ``model.safetensors``) inside the
    plugin's package. A preset too large for a wheel gives ``url`` instead: a zip archive
    of that directory, fetched once into the cache directory. Either way ``sha256`` is the
    digest of ``model.safetensors`` and is checked before the weights are used.

    ``options`` are the defaults this preset runs its verbs with, ``{verb: {option: value}}``:
    several presets can share one conditional model, each fixing its class
    (``{"generate": {"label": "winter"}}``). An option the caller gives replaces the
    preset's; a ``mix`` given replaces the preset's ``label`` too (the two are one choice).
    """

    tag: str  # short name, unique within the plugin
    task: str  # what it does, in a word or two, for `artgan models` ("generate", "translate", ...)
    sha256: str  # hex digest of model.safetensors
    licence: str  # licence of the weights (and the data they were trained on)
    description: str  # one line for `artgan models`
    path: Path | None = None  # shipped checkpoint directory
    url: str | None = None  # or: where to fetch a zip of that directory
    options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)  # verb → option defaults


@dataclass(frozen=True)
class Verb:
    """One inference operation a plugin offers: ``artgan generate``, ``artgan run MODEL VERB``,
    ``model.<name>(...)`` in Python.

    ``run(model, options, inputs, generator)`` gets the loaded model (:class:`Loaded`), an
    instance of ``Options`` (type-checked by the core from ``-p key=value``, the verb's own
    command-line flags or Python keywords), the inputs (None, one PIL image, or a dict of
    name → PIL image; see ``takes``) and a CPU ``torch.Generator`` seeded by the core. It
    returns an instance of ``output``. The core runs it under ``torch.no_grad()``.
    """

    name: str  # lowercase identifier, unique within the plugin
    run: Callable[..., Output]  # run(model, options, inputs, generator) -> output
    Options: type  # dataclass of the verb's options; every field has a default
    output: type  # the Output subclass run() returns
    takes: str = "nothing"  # "nothing"; "image": run once per input picture; "images": all at once
    channels: tuple[int, ...] = ()  # for Images outputs: the channel counts run() may return
    size: Callable[[Any, Any, tuple[int, int] | None], tuple[int, int]] | None = None  # (config, options,
    # input (H, W) or None) -> output (H, W), for Images outputs whose size is known in advance
    help: str = ""  # one line for --help and `artgan plugins`


@dataclass(frozen=True)
class Writer:
    """A file format for one output type, chosen by the output file's suffix.

    ``encode(output, suffix, metadata)`` returns the file's bytes, or a dict of relative
    path → bytes for a format that is a folder of files. A format that keeps files beside
    the main one (a JSON sidecar) names their endings in ``sidecars`` and returns a dict of
    ending → bytes, the main file under its own suffix: ``{".png": ..., ".json": ...}`` for
    ``-o peak.png`` writes ``peak.png`` and ``peak.json``. The core writes them atomically,
    refuses to overwrite (sidecars included), and passes the provenance (``metadata``,
    strings) for the format to embed where it can.
    """

    suffixes: tuple[str, ...]  # lowercase with the dot (".otf"); "" means a folder
    output: type  # the Output subclass it writes (subclasses too)
    encode: Callable[[Any, str, Mapping[str, str]], bytes | Mapping[str, bytes]]
    description: str = ""  # e.g. "OpenType font"
    sidecars: tuple[str, ...] = ()  # endings of files written beside the main one, sharing its stem (".json")


@dataclass(frozen=True)
class Graph:
    """One network of a verb as a deployable graph (``artgan export MODEL --format onnx``).

    ``module`` maps ``inputs`` (fixed tensors, on the CPU, float32) to the outputs the
    verb's maths needs; the core exports it, runs the exported graph against ``module`` on
    ``inputs`` and on every tuple of ``parity_inputs`` (other sizes: dynamic axes must really be
    dynamic), and refuses to write it when they differ by more than ``tolerance``.
    ``convention`` says, for the manifest beside the graph, how to feed it and read it back
    (value range, layout, sizes it takes), as JSON-ready data.
    """

    name: str  # file stem, unique within the model (the role, e.g. "G_AB")
    module: nn.Module  # in eval mode, float32, on the CPU
    inputs: tuple[torch.Tensor, ...]  # what the trace runs on, and the first parity check
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    dynamic_axes: Mapping[str, Mapping[int, str]] = dataclasses.field(default_factory=dict)  # name → {axis: label}
    parity_inputs: tuple[tuple[torch.Tensor, ...], ...] = ()  # further inputs the parity check runs
    convention: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # e.g. {"range": [-1, 1], "layout": "NCHW RGB"}
    tolerance: float = 1e-4  # largest absolute difference allowed between the graph and ``module``


class Loaded(Protocol):
    """What a verb's ``run`` receives: a model loaded for inference (see :mod:`artgan.inference`)."""

    name: str  # "plugin.tag", or the checkpoint path given
    plugin: Plugin
    config: Any  # the plugin's Config, as trained
    nets: Mapping[str, nn.Module]  # the inference roles, EMA weights, in eval mode on `device`
    device: torch.device
    precision: str  # "fp32", "bf16" or "fp16": what autocast() runs

    @property
    def labels(self) -> list[str]: ...  # class names of a conditional model

    def autocast(self) -> contextlib.AbstractContextManager: ...  # mixed precision for forward passes

    def progress(self, done: int, total: int) -> None: ...  # report progress of long work (tiles, frames)

    def run(self, verb: str, inputs: Any = None, *, seed: int | None = None,
            options: Mapping[str, Any] | None = None) -> Output: ...  # another verb, e.g. from evaluate()


class Plugin:
    """Base class with the contract's defaults; subclass it and fill in the rest.

    Required: ``name``, ``Config`` (a dataclass whose defaults are the recommended model),
    ``roles``, ``verbs``, :meth:`phases`, :meth:`build`, :meth:`dataset`, :meth:`loss` and
    :meth:`preview`.
    """

    name: str = ""
    #: Dataclass of model and loss settings; every field has a default.
    Config: type = type(None)
    #: Contract version this plugin was written against.
    api_version: int = API_VERSION
    #: Every role build() returns (checked without building anything).
    roles: tuple[str, ...] = ()
    #: Roles inference needs; they get an EMA copy and are all an export keeps.
    inference_roles: tuple[str, ...] = ("G",)
    #: Roles whose inputs the engine's differentiable augmentation alters (discriminators).
    augment_roles: tuple[str, ...] = ("D",)
    #: The inference operations the plugin offers.
    verbs: tuple[Verb, ...] = ()
    #: File formats for the plugin's own output types (the core owns the raster formats).
    writers: tuple[Writer, ...] = ()
    #: TrainConfig values this plugin recommends (e.g. ``{"batch_size": 64}``).
    train_defaults: Mapping[str, Any] = {}
    #: Other named configurations besides the default ``Config()`` (``artgan train --variant``).
    variants: Mapping[str, Any] = {}
    #: Precision training prefers (``precision=auto``): "bf16" (measured faster for these nets)
    #: means bf16 where the device runs it natively, fp16 with loss scaling on CUDA GPUs with
    #: fast fp16 but no bf16, fp32 elsewhere (AVX2-only CPUs, MPS); "fp32" means fp32 everywhere.
    train_precision: str = "fp32"
    #: Precision inference prefers where the device runs it natively: "fp32" or "bf16" (as
    #: for ``train_precision``).
    inference_precision: str = "fp32"
    #: Whether inference converts the nets to channels-last memory layout (fast for convs).
    inference_channels_last: bool = False
    #: Pretrained models shipped with the plugin.
    presets: tuple[Preset, ...] = ()

    # ----------------------------------------------------------------- configuration
    def tiny_config(self) -> Any:
        """A config small enough for tests to build and train in well under a second."""
        return self.Config()

    def adapt_config(self, config: Any, dataset: Any) -> Any:
        """Return ``config`` updated with facts only the data knows (e.g. class names)."""
        return config

    def label_names(self, config: Any) -> list[str]:
        """Class names a conditional model accepts; empty for unconditional models."""
        return []

    # ----------------------------------------------------------------- training
    def phases(self, config: Any) -> list[Phase]:
        """The optimisation phases, in the order they run within one step."""
        raise NotImplementedError

    def build(self, config: Any) -> dict[str, nn.Module]:
        """Construct the networks by role (``{"G": ..., "D": ...}``), freshly initialised."""
        raise NotImplementedError

    def dataset(self, source: str | Mapping[str, str], config: Any) -> torch.utils.data.Dataset:
        """A map-style dataset of training items from ``source``.

        ``source`` is a path or a built-in name (``--data X``), or for plugins that learn
        from several collections a mapping of names to those (``--data-a X --data-b Y``
        gives ``{"a": X, "b": Y}``). Refuse the kind you do not take, and data that is not
        there, with an ArtganError (the contract kit tries both).
        """
        raise NotImplementedError

    def loss(
        self, phase: str, nets: Mapping[str, nn.Module], batch: Any, config: Any
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor | float]]:
        """The scalar loss of the phase named ``phase`` on ``batch`` and named values to log."""
        raise NotImplementedError

    def schedule(self, nets: Mapping[str, nn.Module], config: Any, progress: float) -> None:
        """Set what changes over a run (a dropout rate, a loss weight), before every training step.

        ``progress`` is the share of the run done, ``step / steps`` in [0, 1), with ``steps`` the
        run's total. What this sets must follow from ``progress`` alone, so that a resumed run
        continues exactly. ``nets`` are the training networks by role. The default changes nothing.
        """

    def preview(
        self, nets: Mapping[str, nn.Module], config: Any, batch: Any, generator: torch.Generator
    ) -> torch.Tensor:
        """Images ``N×C×H×W`` in [-1, 1] for the sample grids of a training run.

        ``nets`` are the inference roles (EMA weights), ``batch`` holds up to 8 training items
        (for translators to show an input beside its result), ``generator`` a fixed seed.
        """
        raise NotImplementedError

    def test_source(self, directory: Path, config: Any) -> str | Mapping[str, str] | None:
        """Write a tiny synthetic dataset under ``directory`` and return its source, for the
        contract checks of :mod:`artgan.testing`; None asks for the default: a flat folder of
        8 random 32×32 RGB images."""
        return None

    def evaluate(self, model: Loaded, source: str | Mapping[str, str], *, n: int, seed: int) -> dict[str, Any]:
        """Quality figures of a loaded ``model`` against the data at ``source`` (``artgan eval``);
        :mod:`artgan.metrics` has the measures."""
        raise ArtganError(f"plugin {self.name!r} does not say how to evaluate its models (it defines no evaluate())")

    def commands(self) -> list[Any]:
        """``click`` commands this plugin adds to ``artgan`` (imported only when the CLI runs)."""
        return []

    def export_graphs(self, model: Loaded, verb: str) -> list[Graph]:
        """The networks behind ``verb`` of a loaded ``model`` as graphs to export, with how to
        feed them (``artgan export MODEL --format onnx``). The default, none, means the verb
        cannot be exported; the command then says so. ``model.nets`` are float32 on the CPU."""
        return []


# --------------------------------------------------------------------------- validation
def validate_plugin(plugin: Any, entry_point_name: str | None = None) -> list[str]:
    """Return the contract violations of ``plugin`` as sentences that say the fix.

    Cheap (nothing is built); an empty list means the plugin looks usable. Whatever the
    plugin's code raises while being checked (even ``SystemExit``; only Ctrl-C passes) is
    reported as a violation, never raised. The deeper checks that build, train and run every
    verb live in :mod:`artgan.testing`.
    """
    try:
        return _contract_problems(plugin, entry_point_name)
    except BaseException as exc:  # a hostile plugin must not take its caller down
        if isinstance(exc, KeyboardInterrupt):
            raise
        return [f"checking the plugin failed: {_raised(exc)}"]


_UNREADABLE = object()  # an attribute whose lookup raised (already reported)
_ATTRIBUTES = ("name", "api_version", "Config", "roles", "inference_roles", "augment_roles", "verbs", "writers",
               "inference_precision", "train_precision", "variants", "presets")


def _raised(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


_DEFAULTS = {"variants": {}, "presets": (), "train_precision": "fp32"}  # what a missing attribute reads as (else None)


def _read(plugin: Any, attribute: str, problems: list[str]) -> Any:
    """``plugin.attribute``, or _UNREADABLE after reporting what its lookup raised."""
    try:
        return getattr(plugin, attribute, _DEFAULTS.get(attribute))
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        problems.append(f"reading `{attribute}` raised {_raised(exc)}: make it a plain attribute that cannot fail")
        return _UNREADABLE


def _contract_problems(plugin: Any, entry_point_name: str | None) -> list[str]:
    problems: list[str] = []
    read = {attribute: _read(plugin, attribute, problems) for attribute in _ATTRIBUTES}
    name = read["name"]
    if name is _UNREADABLE:
        pass
    elif not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"name {name!r} is not a lowercase identifier: set `name = \"mypluginname\"`")
    elif entry_point_name is not None and name != entry_point_name:
        problems.append(
            f"entry point is called {entry_point_name!r} but the plugin's name is {name!r}: make them equal in pyproject.toml"
        )
    api = read["api_version"]
    if api is not _UNREADABLE and api != API_VERSION:
        change = MIGRATIONS.get(api) if isinstance(api, int) else None
        return problems + [
            f"written for artgan plugin API {api}, this artgan speaks API {API_VERSION}"
            + (f": to update, {change}" if change else ": install an artgan and plugin that match")
        ]
    config_cls = read["Config"]
    config = None
    if config_cls is _UNREADABLE:
        pass
    elif not (isinstance(config_cls, type) and dataclasses.is_dataclass(config_cls)):
        problems.append("`Config` must be a dataclass of the model's settings")
    else:
        try:
            config = config_cls()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            problems.append(f"`Config()` must work with defaults alone ({_raised(exc)})")
    for method in ("phases", "build", "dataset", "loss", "preview"):
        if not _overrides(plugin, method):
            problems.append(f"missing method `{method}`")
    roles = read["roles"]
    if roles is _UNREADABLE:
        roles = ()
    elif not _names(roles):
        problems.append("`roles` must be a non-empty tuple of the role names build() returns")
        roles = ()
    for attribute in ("inference_roles", "augment_roles"):
        declared = read[attribute]
        if declared is _UNREADABLE:
            continue
        if not (isinstance(declared, tuple) and all(isinstance(r, str) for r in declared)):
            problems.append(f"`{attribute}` must be a tuple of role names")
        elif roles and set(declared) - set(roles):
            problems.append(f"`{attribute}` names {sorted(set(declared) - set(roles))}, which are not in `roles`")
    if read["inference_roles"] is not _UNREADABLE and not read["inference_roles"]:
        problems.append("`inference_roles` must name at least one role")
    if config is not None and _overrides(plugin, "phases"):
        try:
            problems += _phase_problems(plugin.phases(config), set(roles))
        except BaseException as exc:  # a broken plugin must not break the caller
            if isinstance(exc, KeyboardInterrupt):
                raise
            problems.append(f"`phases(Config())` failed: {_raised(exc)}")
    if read["verbs"] is not _UNREADABLE:
        problems += verb_problems(read["verbs"])
    if read["writers"] is not _UNREADABLE:
        problems += writer_problems(read["writers"])
    for attribute in ("inference_precision", "train_precision"):
        if read[attribute] not in ("fp32", "bf16", _UNREADABLE):
            problems.append(f"`{attribute}` must be 'fp32' or 'bf16'")
    variants = read["variants"]
    if variants is not _UNREADABLE and (not isinstance(variants, Mapping) or (
        isinstance(config_cls, type) and not all(isinstance(v, config_cls) for v in variants.values())
    )):
        problems.append("`variants` must map names to instances of `Config`")
    if read["presets"] is not _UNREADABLE:
        problems += _preset_problems(read["presets"])
        if read["verbs"] is not _UNREADABLE and not verb_problems(read["verbs"]):
            problems += _preset_option_problems(read["presets"], read["verbs"])
    return problems


def _preset_option_problems(presets: Any, verbs: Any) -> list[str]:
    """Each preset's ``options`` must name the plugin's verbs and their options."""
    problems = []
    by_name = {verb.name: verb for verb in verbs}
    for preset in presets if isinstance(presets, (list, tuple)) else ():
        options = getattr(preset, "options", None)
        if not isinstance(preset, Preset) or options is None:
            continue
        if not isinstance(options, Mapping) or not all(isinstance(v, Mapping) for v in options.values()):
            problems.append(f"preset {preset.tag!r}: `options` must map verb names to {{option: value}}")
            continue
        for verb, values in options.items():
            if verb not in by_name:
                problems.append(f"preset {preset.tag!r}: `options` names {verb!r}, which is not one of the plugin's verbs")
                continue
            fields = {f.name for f in dataclasses.fields(by_name[verb].Options)}
            unknown = sorted(set(values) - fields)
            if unknown:
                problems.append(f"preset {preset.tag!r}: `options` of {verb!r} names {unknown}, which are not its options")
    return problems


def _names(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and all(isinstance(v, str) and v for v in value)


def _overrides(plugin: Any, method: str) -> bool:
    impl = getattr(type(plugin), method, None) or getattr(plugin, method, None)
    return callable(impl) and impl is not getattr(Plugin, method, None)


def _phase_problems(phases: Any, roles: set[str]) -> list[str]:
    if not isinstance(phases, (list, tuple)) or not phases:
        return ["`phases(config)` must return a non-empty list of Phase"]
    problems, names, by_trains = [], set(), {}
    for phase in phases:
        if not isinstance(phase, Phase):
            problems.append(f"phase {phase!r} is not an artgan.plugin.Phase")
            continue
        if phase.name in names:
            problems.append(f"two phases are called {phase.name!r}")
        names.add(phase.name)
        if not phase.trains:
            problems.append(f"phase {phase.name!r} trains no network")
        elif roles and set(phase.trains) - roles:
            problems.append(f"phase {phase.name!r} trains {sorted(set(phase.trains) - roles)}, which are not in `roles`")
        if phase.every < 1:
            problems.append(f"phase {phase.name!r} has every={phase.every}; it must be ≥ 1")
        key = tuple(sorted(phase.trains))
        other = by_trains.setdefault(key, phase)
        if (other.lr, other.betas) != (phase.lr, phase.betas):
            problems.append(
                f"phases {other.name!r} and {phase.name!r} train the same networks and so share "
                "an optimizer, but give different lr/betas: make them equal"
            )
    return problems


def verb_problems(verbs: Any) -> list[str]:
    """What is wrong with a plugin's ``verbs`` declaration."""
    if not isinstance(verbs, (tuple, list)) or not verbs:
        return ["`verbs` must be a non-empty tuple of artgan.plugin.Verb (what the models can do)"]
    problems, names = [], set()
    for verb in verbs:
        if not isinstance(verb, Verb):
            problems.append(f"verb {verb!r} is not an artgan.plugin.Verb")
            continue
        label = f"verb {verb.name!r}"
        if not isinstance(verb.name, str) or not _NAME.match(verb.name) or verb.name in names:
            problems.append(f"{label}: the name must be a unique lowercase identifier")
        names.add(verb.name)
        if not callable(verb.run):
            problems.append(f"{label}: `run` must be callable as run(model, options, inputs, generator)")
        if not (isinstance(verb.Options, type) and dataclasses.is_dataclass(verb.Options)):
            problems.append(f"{label}: `Options` must be a dataclass")
        else:
            try:
                verb.Options()
            except Exception as exc:  # any failure means the defaults do not work
                problems.append(f"{label}: `Options()` must work with defaults alone ({exc})")
        if not (isinstance(verb.output, type) and issubclass(verb.output, Output)):
            problems.append(f"{label}: `output` must be a subclass of artgan.outputs.Output")
        if verb.takes not in _TAKES:
            problems.append(f"{label}: `takes` must be one of {', '.join(_TAKES)}")
        if not all(c in (1, 3, 4) for c in verb.channels):
            problems.append(f"{label}: `channels` may only hold 1, 3 and 4")
        if verb.size is not None and not callable(verb.size):
            problems.append(f"{label}: `size` must be None or callable as size(config, options, input_size)")
    return problems


def writer_problems(writers: Any) -> list[str]:
    """What is wrong with a plugin's ``writers`` declaration."""
    if not isinstance(writers, (tuple, list)):
        return ["`writers` must be a tuple of artgan.plugin.Writer"]
    problems = []
    for writer in writers:
        if not isinstance(writer, Writer):
            problems.append(f"writer {writer!r} is not an artgan.plugin.Writer")
            continue
        bad = [s for s in writer.suffixes if not isinstance(s, str) or (s and not re.fullmatch(r"\.[a-z0-9]+", s))]
        if not writer.suffixes or bad:
            problems.append(f"writer {writer.description or writer!r}: suffixes must be lowercase like '.otf', got {bad or '()'}")
        if not (isinstance(writer.output, type) and issubclass(writer.output, Output)):
            problems.append(f"writer for {writer.suffixes}: `output` must be a subclass of artgan.outputs.Output")
        if not callable(writer.encode):
            problems.append(f"writer for {writer.suffixes}: `encode` must be callable as encode(output, suffix, metadata)")
        odd = [e for e in writer.sidecars if not isinstance(e, str) or not re.fullmatch(r"(?:[._-][a-z0-9_.-]*)?\.[a-z0-9]+", e)]
        if not isinstance(writer.sidecars, tuple) or odd:
            problems.append(f"writer for {writer.suffixes}: sidecars must be a tuple of endings like '.json' or "
                            f"'_normal.png', got {odd or writer.sidecars!r}")
    return problems


#: What a shipped preset's checkpoint directory must hold (see :class:`Preset`).
_PRESET_FILES = ("config.json", "model.safetensors")


def _preset_problems(presets: Any) -> list[str]:
    if not isinstance(presets, (list, tuple)):
        return [f"`presets` must be a tuple of Preset, not {type(presets).__name__}"]
    problems, tags = [], set()
    for preset in presets:
        if not isinstance(preset, Preset):
            problems.append(f"preset {preset!r} is not an artgan.plugin.Preset")
            continue
        if not isinstance(preset.tag, str) or not _NAME.match(preset.tag) or preset.tag in tags:
            problems.append(f"preset tag {preset.tag!r} must be a unique lowercase identifier")
            continue
        tags.add(preset.tag)
        label = f"preset {preset.tag!r}"
        for text in ("task", "licence", "description"):
            if not isinstance(getattr(preset, text), str):
                problems.append(f"{label}: `{text}` must be text")
        if (preset.path is None) == (preset.url is None):
            problems.append(f"{label} needs exactly one of `path` and `url`")
        elif preset.url is not None and not isinstance(preset.url, str):
            problems.append(f"{label}: `url` must be text")
        elif preset.path is not None:
            problems += _preset_path_problems(label, preset.path)
        if not isinstance(preset.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", preset.sha256):
            problems.append(f"{label} needs the sha256 of its model.safetensors")
        if not preset.licence:
            problems.append(f"{label} must state its licence")
    return problems


def _preset_path_problems(label: str, path: Any) -> list[str]:
    """A shipped preset's folder must exist and hold its checkpoint (a stat each; nothing is read)."""
    if not isinstance(path, (str, Path)):
        return [f"{label}: `path` must be a folder path, not {type(path).__name__}"]
    missing = [name for name in _PRESET_FILES if not (Path(path) / name).is_file()]
    if missing:
        return [f"{label}: {', '.join(missing)} missing in {path}; ship the checkpoint folder with the package "
                "(package data) or give a `url` instead"]
    return []


__all__ = ["API_VERSION", "Graph", "Loaded", "Phase", "Plugin", "Preset", "Verb", "Writer", "validate_plugin"]
