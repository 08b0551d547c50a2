"""The Python API; the command line is a thin shell around these functions.

>>> import artgan
>>> model = artgan.load("plugin.tag")           # a shipped model, or a run folder
>>> images = model.generate(n=16, seed=1)        # an artgan.outputs.Images
>>> artgan.write(images, "grid.png")             # a 4×4 grid, with provenance
>>> pictures = artgan.to_pil(images)             # or a list of PIL images
>>> artgan.train("plugin", data="my_images/", out="runs/mine", steps=2000)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from artgan._version import __version__
from artgan.config import render_overrides
from artgan.engine import hardware
from artgan.engine import runtime as rt
from artgan.images import to_pil as _to_pil
from artgan.inference import Model
from artgan.outputs import Images, Output
from artgan.plugin import Plugin
from artgan.registry import discover, get_plugin, list_models, resolve_model  # noqa: F401 (list_models lives there, torch-free)
from artgan.writers import write_output


def load(name_or_path: str | os.PathLike, device: str = "auto", *, precision: str = "auto", verb: str | None = None) -> Model:
    """Load a shipped model (``"plugin.tag"``, or the tag alone) or a checkpoint/run directory.

    ``precision`` ``auto`` uses the plugin's preferred inference precision where the device
    runs it natively, else fp32; ``verb`` settles a tag two plugins share (the one that offers
    the verb wins).
    """
    return Model(resolve_model(str(name_or_path), verb=verb), device, precision=precision)


def run(model: Model | str, verb: str, inputs: Any = None, *, seed: int | None = None, **options: Any) -> Output:
    """Run ``verb`` of ``model`` (loaded, or a name): ``artgan.run("plugin.tag", "verb", "photo.jpg")``."""
    if not isinstance(model, Model):
        model = load(model, verb=verb)
    return model.run(verb, inputs, seed=seed, options=options)


def write(output: Output, path: str | os.PathLike, *, overwrite: bool = False) -> list[Path]:
    """Write ``output`` to ``path`` in the format its suffix names (a folder without one);
    return the files written. Installed plugins' formats count too."""
    writers = [w for record in discover().values() if record.ok for w in record.plugin.writers]
    return write_output(output, path, writers=writers, overwrite=overwrite)


def to_pil(images: Images) -> list[Image.Image]:
    """The pictures of an :class:`~artgan.outputs.Images` output as 8-bit PIL images."""
    return [_to_pil(picture) for picture in images.pixels]


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
    that learn from several collections. ``config`` holds overrides, as ``{"batch_size": 16}``
    or ``["batch_size=16"]``; keys may be qualified (``train.seed``, ``model.lr``);
    ``variant`` names one of the plugin's other configurations. See
    :func:`artgan.engine.train`.
    """
    from artgan.engine import train as engine_train

    if isinstance(plugin, str):
        plugin = get_plugin(plugin)
    overrides = render_overrides(dict(config)) if isinstance(config, Mapping) else list(config)
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
    if not isinstance(model, Model):
        model = load(model)
    return model.plugin.evaluate(model, _source(data), n=n, seed=seed)


def versions() -> dict[str, Any]:
    """Versions, devices and paths, for bug reports (``artgan info``)."""
    import platform

    from artgan.presets import cache_dir

    devices = [{"type": "cpu", "threads": torch.get_num_threads()}]
    for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        devices.append({"type": "cuda", "index": index, "name": torch.cuda.get_device_name(index)})
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append({"type": "mps"})
    default = rt.select_device("auto")
    records = discover()
    return {
        "artgan": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "devices": devices,
        "default_device": str(default),
        "cpu": hardware.device_facts(torch.device("cpu")).as_dict(),
        "gpus": [hardware.device_facts(torch.device("cuda", d["index"])).as_dict() for d in devices if d["type"] == "cuda"],
        "precision": _precision_report(default, records),
        "cache_dir": str(cache_dir()),
        "plugins": {name: record.version if record.ok else "broken" for name, record in records.items()},
    }


def _precision_report(device: torch.device, records: Mapping[str, Any]) -> dict[str, Any]:
    """What ``precision=auto`` picks on ``device``: for a model that prefers bf16 (with the
    reason), and for each installed plugin's training and inference."""
    fast = rt.choose_precision("auto", device, "bf16")
    plugins = {
        name: {"training": rt.choose_precision("auto", device, getattr(r.plugin, "train_precision", "fp32")).precision,
               "inference": rt.choose_precision("auto", device, r.plugin.inference_precision, training=False).precision}
        for name, r in records.items() if r.ok
    }
    return {"device": str(device), "auto": fast.precision, "reason": fast.reason, "plugins": plugins}
