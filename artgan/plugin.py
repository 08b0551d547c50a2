"""The contract a plugin fulfils, and its validation.

A plugin brings a model family: its networks by role, the optimisation phases that train
them, a dataset, the loss maths and inference. The engine owns everything else (optimizers,
the loop, EMA, precision, distribution, checkpoints, progress). Plugins are found through
the entry-point group ``artgan.plugins``; the object an entry point names is a
:class:`Plugin` instance (or a class that takes no arguments).

Importing a plugin module must be cheap: keep ``torch`` and model code out of module scope
and import them inside :meth:`Plugin.build` and friends. ``artgan plugins`` imports every
plugin.

Conventions shared by all plugins:

- images are float tensors ``N×C×H×W`` in ``[-1, 1]`` on the runtime's device;
- dataset items are an image tensor, an ``(image, label)`` tuple, or a dict with an
  ``"image"`` key; the engine moves whole batches to the device;
- ``loss`` only computes: it never calls ``backward()``, steps an optimizer or moves
  tensors between devices.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch stays off the import path of `artgan plugins`
    import torch
    from torch import nn

#: Version of this contract. A plugin declares the version it was written for; a mismatch
#: marks it broken instead of failing at run time.
API_VERSION = 1

TASKS = ("generate", "translate")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Phase:
    """One optimisation phase: minimise ``plugin.loss(name, ...)`` w.r.t. the ``trains`` nets.

    Phases that train the same roles share one Adam optimizer (so a lazy regulariser that
    runs every k steps shares moments with the main discriminator phase); they must then
    agree on ``lr`` and ``betas``.
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
    """

    tag: str  # short name, unique within the plugin
    task: str  # what it does: "generate" or "translate"
    sha256: str  # hex digest of model.safetensors
    licence: str  # licence of the weights (and the data they were trained on)
    description: str  # one line for `artgan models`
    path: Path | None = None  # shipped checkpoint directory
    url: str | None = None  # or: where to fetch a zip of that directory


class Plugin:
    """Base class with the contract's defaults; subclass it and fill in the rest.

    Required: ``name``, ``Config`` (a dataclass whose defaults are the recommended model),
    :meth:`phases`, :meth:`build`, :meth:`dataset`, :meth:`loss`, and :meth:`generate`
    (task ``"generate"``) or :meth:`translate` (task ``"translate"``).
    """

    name: str = ""
    #: Dataclass of model and loss settings; every field has a default.
    Config: type = type(None)
    #: Contract version this plugin was written against.
    api_version: int = API_VERSION
    #: "generate" (noise/labels → images) or "translate" (images → images).
    task: str = "generate"
    #: Roles inference needs; they get an EMA copy and are all an export keeps.
    inference_roles: tuple[str, ...] = ("G",)
    #: Roles whose inputs the engine's differentiable augmentation alters (discriminators).
    augment_roles: tuple[str, ...] = ("D",)
    #: TrainConfig values this plugin recommends (e.g. ``{"batch_size": 64}``).
    train_defaults: Mapping[str, Any] = {}
    #: Other named configurations besides the default ``Config()`` (``artgan train --variant``).
    variants: Mapping[str, Any] = {}
    #: Precision inference runs in where the device supports it: "fp32" or "bf16" (measure first).
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

        ``source`` is a path or a built-in name, or for plugins that learn from several
        collections a mapping of names to those (``--data-a X --data-b Y`` gives
        ``{"a": X, "b": Y}``).
        """
        raise NotImplementedError

    def loss(
        self, phase: str, nets: Mapping[str, nn.Module], batch: Any, config: Any
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor | float]]:
        """The scalar loss of ``phase`` on ``batch`` and named values to log."""
        raise NotImplementedError

    def test_source(self, directory: Path, config: Any) -> str | Mapping[str, str]:
        """Write a tiny synthetic dataset under ``directory``; return its source string.

        Used by the contract checks in :mod:`artgan.testing`. The default writes a flat
        folder of random RGB images, which suits plugins that train on an image folder.
        """
        from artgan.images import write_random_images

        folder = Path(directory) / "images"
        write_random_images(folder, count=8, size=(32, 32))
        return str(folder)

    # ----------------------------------------------------------------- inference
    def generate(
        self,
        nets: Mapping[str, nn.Module],
        config: Any,
        n: int,
        *,
        labels: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        **options: Any,
    ) -> torch.Tensor:
        """Sample ``n`` images (``N×C×H×W`` in [-1, 1]).

        ``labels`` is None, class indices ``(n,)``, or class weights ``(n, K)``; ``generator``
        is a CPU generator that makes the result reproducible on any device. ``options``
        are plugin-specific controls; reject unknown ones with an ``ArtganError``.
        """
        raise NotImplementedError

    #: Optional, for interpolation between seeds: ``sample_latents(nets, config, n, generator,
    #: **options)`` returns the random inputs of ``n`` images (a dict of lists of tensors),
    #: and ``generate(..., latents=...)`` renders given ones. Gaussian latents expected.
    sample_latents = None

    def translate(
        self, nets: Mapping[str, nn.Module], config: Any, images: torch.Tensor, **options: Any
    ) -> torch.Tensor:
        """Translate images (``N×C×H×W`` in [-1, 1]) into the model's target domain."""
        raise NotImplementedError

    def preview(
        self, nets: Mapping[str, nn.Module], config: Any, batch: Any, generator: torch.Generator
    ) -> torch.Tensor:
        """Images for the periodic sample grid during training.

        The default samples 16 images (cycling through the labels of a conditional model);
        translation plugins override it to show ``batch`` next to its translation.
        """
        import torch

        names = self.label_names(config)
        labels = torch.arange(16) % len(names) if names else None
        return self.generate(nets, config, 16, labels=labels, generator=generator)

    def evaluate(self, model: Any, source: str | Mapping[str, str], *, n: int, seed: int) -> dict[str, Any]:
        """Quality figures of a loaded ``model`` against the data at ``source``.

        The default, for generators, is the sliced Wasserstein distance between ``n``
        generated images and ``n`` training images; for translators, the style distance of
        translated images to collection B and their content similarity to their inputs
        from collection A (see :mod:`artgan.metrics`).
        """
        if self.task == "translate":
            from artgan.metrics.translation import evaluate_translation

            return evaluate_translation(model, source, n=n, seed=seed)
        from artgan.metrics.generators import evaluate_generator

        return evaluate_generator(model, source, n=n, seed=seed)



# --------------------------------------------------------------------------- validation
def validate_plugin(plugin: Any, entry_point_name: str | None = None) -> list[str]:
    """Return the contract violations of ``plugin`` as sentences that say the fix.

    Cheap (nothing is built or imported); an empty list means the plugin looks usable.
    The deeper checks that build and train live in :mod:`artgan.testing`.
    """
    problems: list[str] = []
    name = getattr(plugin, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(
            f"name {name!r} is not a lowercase identifier: set `name = \"mypluginname\"`"
        )
    elif entry_point_name is not None and name != entry_point_name:
        problems.append(
            f"entry point is called {entry_point_name!r} but the plugin's name is {name!r}: "
            "make them equal in pyproject.toml"
        )
    api = getattr(plugin, "api_version", None)
    if api != API_VERSION:
        problems.append(
            f"written for artgan plugin API {api}, this artgan speaks {API_VERSION}: "
            "install an artgan and plugin that match"
        )
    config_cls = getattr(plugin, "Config", None)
    config = None
    if not (isinstance(config_cls, type) and dataclasses.is_dataclass(config_cls)):
        problems.append("`Config` must be a dataclass of the model's settings")
    else:
        try:
            config = config_cls()
        except TypeError as exc:
            problems.append(f"`Config()` must work with defaults alone ({exc})")
    task = getattr(plugin, "task", None)
    if task not in TASKS:
        problems.append(f"task {task!r} is not one of {', '.join(TASKS)}")
    else:
        needed = "generate" if task == "generate" else "translate"
        if not _overrides(plugin, needed):
            problems.append(f"task {task!r} needs a `{needed}` method")
    for method in ("phases", "build", "dataset", "loss"):
        if not _overrides(plugin, method):
            problems.append(f"missing method `{method}`")
    roles = getattr(plugin, "inference_roles", None)
    if not (isinstance(roles, tuple) and roles and all(isinstance(r, str) for r in roles)):
        problems.append("`inference_roles` must be a non-empty tuple of role names")
    if config is not None and _overrides(plugin, "phases"):
        try:
            problems += _phase_problems(plugin.phases(config))
        except Exception as exc:  # a broken plugin must not break the caller
            problems.append(f"`phases(Config())` failed: {type(exc).__name__}: {exc}")
    variants = getattr(plugin, "variants", {})
    if not isinstance(variants, Mapping) or (
        isinstance(config_cls, type) and not all(isinstance(v, config_cls) for v in variants.values())
    ):
        problems.append("`variants` must map names to instances of `Config`")
    problems += _preset_problems(getattr(plugin, "presets", ()))
    return problems


def _overrides(plugin: Any, method: str) -> bool:
    impl = getattr(type(plugin), method, None) or getattr(plugin, method, None)
    return callable(impl) and impl is not getattr(Plugin, method, None)


def _phase_problems(phases: Any) -> list[str]:
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


def _preset_problems(presets: Any) -> list[str]:
    if not isinstance(presets, (list, tuple)):
        return ["`presets` must be a tuple of Preset"]
    problems, tags = [], set()
    for preset in presets:
        if not isinstance(preset, Preset):
            problems.append(f"preset {preset!r} is not an artgan.plugin.Preset")
            continue
        if not _NAME.match(preset.tag) or preset.tag in tags:
            problems.append(f"preset tag {preset.tag!r} must be a unique lowercase identifier")
        tags.add(preset.tag)
        if (preset.path is None) == (preset.url is None):
            problems.append(f"preset {preset.tag!r} needs exactly one of `path` and `url`")
        if not re.fullmatch(r"[0-9a-f]{64}", preset.sha256 or ""):
            problems.append(f"preset {preset.tag!r} needs the sha256 of its model.safetensors")
        if not preset.licence:
            problems.append(f"preset {preset.tag!r} must state its licence")
    return problems


__all__ = ["API_VERSION", "Phase", "Plugin", "Preset", "TASKS", "validate_plugin"]
