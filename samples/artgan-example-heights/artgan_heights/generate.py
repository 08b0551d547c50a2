"""The ``generate`` verb: heightfields from noise, by class or a mix of classes.

Its options are a dataclass made with :func:`artgan.config.option`, so the core offers
them as flags of ``artgan generate MODEL`` (``-n 4 --label dunes --stretch``), as
``-p key=value`` and as Python keywords (``model.generate(n=4, label="dunes")``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artgan.config import option
from artgan_heights.outputs import Heightfield


def parse_label(value: Any) -> Any:
    """A class name or index for every field, or one per field (``"dunes,ridges"`` or a list)."""
    if isinstance(value, str) and "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def parse_mix(value: Any) -> dict[str, float] | None:
    """``"dunes:0.7,ridges:0.3"`` or a mapping → ``{name: weight}`` (artgan.labels imports
    torch, so it is imported here, not at module scope)."""
    from artgan.labels import parse_mix as parse

    return parse(value)


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    n: int = option(1, "How many heightfields (several lie side by side in one file).", flag="-n", minimum=1)
    label: Any = option(None, "Class name or index, or one per field: dunes,ridges (default: random).", parse=parse_label)
    mix: Any = option(None, "Blend classes, e.g. dunes:0.7,ridges:0.3.", parse=parse_mix)
    stretch: bool = option(False, "Stretch each field to the full range 0..65535.")
    batch_size: int = option(64, "Fields per forward pass (memory, not the result).", minimum=1)


def generate(model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Heightfield:
    """``options.n`` heightfields ``N×S×S`` in [0, 1]; classes and noise come from ``generator``."""
    import torch
    import torch.nn.functional as F

    from artgan.inference import in_batches
    from artgan.labels import choose_labels

    G = model.nets["G"]
    names = model.labels
    chosen = choose_labels(names, options.n, generator, label=options.label, mix=options.mix)
    if chosen is None:  # an untrained model knows no classes: use its only one
        weights = torch.ones(options.n, G.classes) / G.classes
    elif chosen.dtype == torch.long:
        weights = F.one_hot(chosen, G.classes).float()
    else:
        weights = chosen.float()

    def batch(start: int, count: int) -> torch.Tensor:
        z = torch.randn(count, G.z_dim, generator=generator).to(model.device)
        with model.autocast():
            return G(z, weights[start : start + count].to(model.device))

    heights = in_batches(options.n, options.batch_size, batch)[:, 0].add(1).div(2).clamp(0, 1)
    if options.stretch:
        low = heights.amin(dim=(1, 2), keepdim=True)
        high = heights.amax(dim=(1, 2), keepdim=True)
        heights = (heights - low) / (high - low).clamp_min(1e-6)
    metadata = {}
    if chosen is not None and chosen.dtype == torch.long:
        metadata["classes"] = ",".join(names[i] for i in chosen.tolist())
    report = {"low": float(heights.min()), "high": float(heights.max())}
    return Heightfield(heights, metadata=metadata, report=report)
