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

    def __init__(self, ref: ModelRef, device: str = "auto", *, untrained: bool = False) -> None:
        checkpoint = ckpt.find_checkpoint(ref.path)
        self.name = ref.name
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
        }

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
            images = self.plugin.generate(self.nets, self.config, count, labels=chunk_labels, generator=generator, **options)
            chunks.append(images.float().clamp(-1, 1).cpu())
        result = torch.cat(chunks)
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
        return Model(ModelRef(self.name + " (untrained)", self.plugin, self.checkpoint.path), str(self.device), untrained=True)


# --------------------------------------------------------------------------- functions
def load(name_or_path: str, device: str = "auto") -> Model:
    """Load a shipped model (``"mlp.digits"``, ``"digits"``) or a checkpoint/run directory."""
    return Model(resolve_model(str(name_or_path)), device)


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
    data: str | os.PathLike | None = None,
    out: str | os.PathLike = "runs/run",
    *,
    steps: int | None = None,
    config: Mapping[str, Any] | Sequence[str] = (),
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
) -> Path:
    """Train a plugin's model; return the final checkpoint directory.

    ``config`` holds overrides, as ``{"batch_size": 16}`` or ``["batch_size=16"]``; keys
    may be qualified (``train.seed``, ``model.lr``). See :func:`artgan.engine.train`.
    """
    from artgan.engine import train as engine_train

    if isinstance(plugin, str):
        plugin = get_plugin(plugin)
    if isinstance(config, Mapping):
        overrides = render_overrides(dict(config))
    else:
        overrides = list(config)
    return engine_train(
        plugin, out=out, data=str(data) if data is not None else None, steps=steps,
        overrides=overrides, resume=resume, device=device, progress=progress,
    )


def evaluate(model: Model | str, data: str | os.PathLike, *, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Quality of ``model`` against the data at ``data`` (see the plugin's ``evaluate``)."""
    if isinstance(model, str):
        model = load(model)
    return model.plugin.evaluate(model, str(data), n=n, seed=seed)


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
