"""The Python API; the command line is a thin shell around these functions.

>>> import artgan
>>> model = artgan.load("mlp.digits")
>>> images = model.generate(16, seed=1)          # a list of PIL images
>>> artgan.train("mlp", data="builtin:digits", out="runs/digits", steps=2000)
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

import artgan
from artgan import checkpoint as ckpt
from artgan.config import from_dict, render_overrides
from artgan.engine import runtime as rt
from artgan.errors import ArtganError, did_you_mean
from artgan.images import to_pil
from artgan.plugin import Plugin
from artgan.registry import ModelRef, get_plugin, list_presets, resolve_model

Labels = str | int | Sequence[str | int] | Mapping[str, float] | None


class Model:
    """A model loaded for inference: its plugin, config and networks (EMA weights)."""

    def __init__(self, ref: ModelRef, device: str = "auto", *, precision: str = "auto", untrained: bool = False) -> None:
        checkpoint = ckpt.find_checkpoint(ref.path)
        self.name = ref.name
        self.preset = ref.preset  # None for a checkpoint given by path
        self.plugin: Plugin = ref.plugin
        self.checkpoint = checkpoint
        self.config = from_dict(self.plugin.Config, checkpoint.meta["model_config"], what=f"{ref.name} model config")
        self.device = rt.select_device(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)  # an untrained baseline is the same one every time
            nets = self.plugin.build(self.config)
        weights = {} if untrained else checkpoint.inference_weights()
        self.nets: dict[str, torch.nn.Module] = {}
        for role in self.plugin.inference_roles:
            net = nets[role]
            if not untrained:
                if role not in weights:
                    raise ArtganError(f"{checkpoint.path}: has no weights for {role!r}")
                try:
                    net.load_state_dict(weights[role])
                except RuntimeError as exc:
                    raise ArtganError(f"{checkpoint.path}: weights do not fit the {self.plugin.name} model ({exc})") from None
            self.nets[role] = net.to(self.device).eval().requires_grad_(False)
        self.precision = _inference_precision(precision, self.plugin, self.device)
        if self.plugin.inference_channels_last:
            for net in self.nets.values():
                net.to(memory_format=torch.channels_last)

    def __repr__(self) -> str:
        return f"Model({self.name!r}, plugin={self.plugin.name!r}, device={str(self.device)!r})"

    @property
    def task(self) -> str:
        return self.plugin.task

    @property
    def labels(self) -> list[str]:
        """Class names of a conditional model (empty if unconditional)."""
        return self.plugin.label_names(self.config)

    def info(self) -> dict[str, Any]:
        """What the model is and where it came from, as JSON-ready data."""
        meta = self.checkpoint.meta
        return {
            "name": self.name,
            "plugin": self.plugin.name,
            "task": self.task,
            "labels": self.labels,
            "step": meta.get("step"),
            "checkpoint": str(self.checkpoint.path),
            "device": str(self.device),
            "precision": self.precision,
        }

    @torch.no_grad()
    def translate(self, images: torch.Tensor) -> torch.Tensor:
        """Translate a batch ``N×C×H×W`` in [-1, 1] as it is (no tiling); see :func:`stylize`."""
        if self.task != "translate":
            raise ArtganError(f"{self.name} is a {self.task} model; it does not translate images")
        images = images.to(self.device)
        if self.plugin.inference_channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            out = self.plugin.translate(self.nets, self.config, images)
        return out.float().clamp(-1, 1)

    def _autocast(self):  # noqa: ANN202
        return rt.Runtime(self.device, self.precision).autocast()

    @torch.no_grad()
    def generate(
        self,
        n: int = 1,
        *,
        seed: int | None = None,
        labels: Labels = None,
        output: str = "pil",
        batch_size: int = 64,
        **options: Any,
    ) -> list[Image.Image] | torch.Tensor:
        """Sample ``n`` images: PIL images (``output="pil"``) or a CPU tensor in [-1, 1].

        ``labels`` for a conditional model: one class name or index for all, one per image,
        or a ``{name: weight}`` mix. ``seed`` makes the result reproducible on any device;
        without one a random seed is drawn and kept in :attr:`last_seed`.
        """
        if self.task != "generate":
            raise ArtganError(f"{self.name} is a {self.task} model; it does not generate from noise")
        if n < 1:
            raise ArtganError("the number of images must be at least 1")
        if output not in ("pil", "tensor"):
            raise ArtganError("output must be 'pil' or 'tensor'")
        self.last_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        generator = torch.Generator().manual_seed(self.last_seed)
        label_tensor = self._labels(labels, n, generator)
        chunks = []
        for start in range(0, n, batch_size):
            count = min(batch_size, n - start)
            chunk_labels = None if label_tensor is None else label_tensor[start : start + count].to(self.device)
            with self._autocast():
                images = self.plugin.generate(self.nets, self.config, count, labels=chunk_labels, generator=generator, **options)
            chunks.append(images.float().clamp(-1, 1).cpu())
        result = torch.cat(chunks)
        return [to_pil(image) for image in result] if output == "pil" else result

    @torch.no_grad()
    def interpolate(
        self, seed_a: int, seed_b: int, frames: int = 8, *, labels: Labels = None, output: str = "pil", **options: Any
    ) -> list[Image.Image] | torch.Tensor:
        """``frames`` images sliding from seed ``seed_a`` to ``seed_b`` (both ends included).

        Latents move along a variance-preserving path, so every frame is as plausible as
        the ends. Needs a plugin with ``sample_latents``.
        """
        if self.task != "generate" or self.plugin.sample_latents is None:
            raise ArtganError(f"{self.name} cannot interpolate between seeds (its plugin has no sample_latents)")
        if frames < 2:
            raise ArtganError("interpolation needs at least 2 frames")
        ends = [self.plugin.sample_latents(self.nets, self.config, 1, torch.Generator().manual_seed(s), **options) for s in (seed_a, seed_b)]
        label_tensor = self._labels(labels, 1, torch.Generator().manual_seed(seed_a))
        label_tensor = None if label_tensor is None else label_tensor.to(self.device)
        images = []
        for t in torch.linspace(0, 1, frames).tolist():
            scale = ((1 - t) ** 2 + t**2) ** 0.5
            latents = {key: [((1 - t) * a + t * b) / scale for a, b in zip(ends[0][key], ends[1][key])] for key in ends[0]}
            with self._autocast():
                image = self.plugin.generate(self.nets, self.config, 1, labels=label_tensor, latents=latents, **options)
            images.append(image.float().clamp(-1, 1).cpu())
        result = torch.cat(images)
        self.last_seed = seed_a
        return [to_pil(image) for image in result] if output == "pil" else result

    def _labels(self, labels: Labels, n: int, generator: torch.Generator) -> torch.Tensor | None:
        names = self.labels
        if labels is None:
            return torch.randint(len(names), (n,), generator=generator) if names else None
        if not names:
            raise ArtganError(f"{self.name} is unconditional; it takes no label")
        if isinstance(labels, Mapping):
            weights = torch.zeros(n, len(names))
            for label, weight in labels.items():
                weights[:, self._label_index(label)] = float(weight)
            if (weights < 0).any() or weights.sum(1).min() <= 0:
                raise ArtganError("label weights must be ≥ 0 and not all zero")
            return weights / weights.sum(1, keepdim=True)
        if isinstance(labels, (str, int)):
            return torch.full((n,), self._label_index(labels), dtype=torch.long)
        labels = list(labels)
        if len(labels) != n:
            raise ArtganError(f"got {len(labels)} labels for {n} images; give one label or one per image")
        return torch.tensor([self._label_index(label) for label in labels], dtype=torch.long)

    def _label_index(self, label: str | int) -> int:
        names = self.labels
        if isinstance(label, int) or (isinstance(label, str) and label.isdigit() and label not in names):
            index = int(label)
            if not 0 <= index < len(names):
                raise ArtganError(f"label index {index} is out of range 0–{len(names) - 1}")
            return index
        if label not in names:
            raise ArtganError(f"unknown label {label!r}{did_you_mean(label, names)} (labels: {', '.join(names)})")
        return names.index(label)

    def untrained(self) -> Model:
        """A freshly initialised model of the same config: the baseline for quality figures."""
        return Model(ModelRef(self.name + " (untrained)", self.plugin, self.checkpoint.path), str(self.device),
                     precision=self.precision, untrained=True)


def _inference_precision(requested: str, plugin: Plugin, device: torch.device) -> str:
    """``auto``: the plugin's preferred precision where the device runs it natively, else fp32."""
    if requested != "auto":
        return rt.resolve_precision(requested, device)
    if plugin.inference_precision == "bf16":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return "bf16"
        if device.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return "bf16"
    return "fp32"


# --------------------------------------------------------------------------- functions
def load(name_or_path: str, device: str = "auto", *, precision: str = "auto", task: str | None = None) -> Model:
    """Load a shipped model (``"mlp.digits"``, ``"digits"``) or a checkpoint/run directory.

    ``precision`` ``auto`` uses the plugin's preferred inference precision where the device
    supports it; ``task`` ("generate"/"translate") settles a tag two plugins share.
    """
    return Model(resolve_model(str(name_or_path), task=task), device, precision=precision)


_STYLE_CACHE: dict[tuple[str, str, str], Model] = {}


def stylize(
    image: Image.Image | str | os.PathLike,
    style: str = "vangogh",
    *,
    max_size: int | None = None,
    strength: float = 1.0,
    preserve_color: bool = False,
    device: str = "auto",
    precision: str = "auto",
) -> Image.Image:
    """Repaint ``image`` (a PIL image or a path) in ``style`` (a name or checkpoint folder).

    Any size works (large images are translated in blended tiles); alpha is kept. The
    model stays loaded for the next call with the same style.
    """
    from artgan.images import open_image
    from artgan.translate import stylize_image

    key = (str(style), device, precision)
    if key not in _STYLE_CACHE:
        model = load(str(style), device, precision=precision, task="translate")
        if model.task != "translate":
            raise ArtganError(f"{model.name} is a {model.task} model, not a style; see `artgan models`")
        _STYLE_CACHE[key] = model
    picture = image if isinstance(image, Image.Image) else open_image(image)
    return stylize_image(_STYLE_CACHE[key], picture, max_size=max_size, strength=strength, preserve_color=preserve_color)


def list_models() -> list[dict[str, Any]]:
    """Every shipped model: name, plugin, task, size, licence and description."""
    rows = []
    for full, plugin, preset in list_presets():
        size = None
        if preset.path is not None:
            weights = Path(preset.path) / ckpt.WEIGHTS_FILE
            size = weights.stat().st_size if weights.exists() else None
        rows.append({
            "name": full,
            "plugin": plugin.name,
            "task": preset.task,
            "size_bytes": size,
            "licence": preset.licence,
            "description": preset.description,
            "source": "shipped" if preset.path is not None else preset.url,
        })
    return rows


def train(
    plugin: str | Plugin | None,
    data: str | os.PathLike | Mapping[str, str | os.PathLike] | None = None,
    out: str | os.PathLike = "runs/run",
    *,
    steps: int | None = None,
    config: Mapping[str, Any] | Sequence[str] = (),
    variant: str | None = None,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
) -> Path:
    """Train a plugin's model; return the final checkpoint directory.

    ``data`` is a folder or built-in name, or ``{"a": photos, "b": paintings}`` for plugins
    that learn from two collections. ``config`` holds overrides, as ``{"batch_size": 16}``
    or ``["batch_size=16"]``; keys may be qualified (``train.seed``, ``model.lr``);
    ``variant`` names one of the plugin's other configurations. See
    :func:`artgan.engine.train`.
    """
    from artgan.engine import train as engine_train

    if isinstance(plugin, str):
        plugin = get_plugin(plugin)
    if isinstance(config, Mapping):
        overrides = render_overrides(dict(config))
    else:
        overrides = list(config)
    return engine_train(
        plugin, out=out, data=_source(data), steps=steps, overrides=overrides,
        variant=variant, resume=resume, device=device, progress=progress,
    )


def _source(data: Any) -> str | dict[str, str] | None:
    """Paths as strings; a mapping of named collections stays a mapping."""
    if data is None:
        return None
    if isinstance(data, Mapping):
        return {str(k): str(v) for k, v in data.items()}
    return str(data)


def evaluate(model: Model | str, data: str | os.PathLike | Mapping[str, str | os.PathLike], *, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Quality of ``model`` against the data at ``data`` (see the plugin's ``evaluate``)."""
    if isinstance(model, str):
        model = load(model)
    return model.plugin.evaluate(model, _source(data), n=n, seed=seed)


def versions() -> dict[str, Any]:
    """Versions, devices and paths, for bug reports (``artgan info``)."""
    import platform

    from artgan.registry import cache_dir, discover

    devices = [{"type": "cpu", "threads": torch.get_num_threads()}]
    for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        devices.append({"type": "cuda", "index": index, "name": torch.cuda.get_device_name(index)})
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append({"type": "mps"})
    return {
        "artgan": artgan.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "devices": devices,
        "default_device": str(rt.select_device("auto")),
        "cache_dir": str(cache_dir()),
        "plugins": {name: record.version if record.ok else "broken" for name, record in discover().items()},
    }
