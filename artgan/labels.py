"""Class labels of conditional models: names, indices, per-image lists and weighted mixes.

One grammar for every conditional plugin: ``label`` is a class name or index for all
images, or a list with one per image; ``mix`` is ``{name: weight}`` (on the command line
``wood:0.5,stone:0.5``). Without either, each image draws a class at random.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from artgan.errors import ArtganError, did_you_mean

if TYPE_CHECKING:  # torch is imported on use, so options dataclasses can name parse_mix cheaply
    import torch


def parse_mix(value: Any) -> dict[str, float] | None:
    """``"wood:0.5,stone:0.5"`` (or a mapping) → ``{"wood": 0.5, "stone": 0.5}``; a bare name weighs 1.

    Weights are finite and ≥ 0, not all zero; only their ratios matter (``wood:3,stone:1`` is 3 : 1).
    """
    if value is None:
        return None
    how = "write classes with weights, e.g. wood:0.5,stone:0.5"
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = []
        for part in str(value).split(","):
            name, sep, weight = part.strip().rpartition(":")
            pairs.append((name, weight) if sep else (weight, 1.0))
    mix: dict[str, float] = {}
    for name, weight in pairs:
        try:
            number = float(weight)
        except (TypeError, ValueError):
            raise ArtganError(f"{value!r}: {how}") from None
        if not math.isfinite(number) or number < 0:
            raise ArtganError(f"{value!r}: the weight of {name!r} must be a finite number ≥ 0, got {weight}")
        name = str(name).strip()
        if not name:
            raise ArtganError(f"{value!r}: {how}")
        if name in mix:
            raise ArtganError(f"{value!r}: {name!r} is given twice")
        mix[name] = number
    if not any(mix.values()):
        raise ArtganError(f"{value!r}: the weights are all zero; give at least one class a weight above 0")
    return mix


def choose_labels(names: Sequence[str], n: int, generator: torch.Generator, *, label: Any = None,
                  mix: Mapping[str, float] | None = None) -> torch.Tensor | None:
    """Class indices ``(n,)`` or class weights ``(n, K)`` for ``n`` images; None if unconditional.

    Random classes are drawn from ``generator``, so a seed fixes them too.
    """
    import torch

    if n < 1:
        raise ArtganError("the number of images must be at least 1")
    if label is not None and mix is not None:
        raise ArtganError("give a label or a mix, not both")
    if label is None and mix is None:
        return torch.randint(len(names), (n,), generator=generator) if names else None
    if not names:
        raise ArtganError("this model is unconditional; it takes no label")
    if mix is not None:
        mix = parse_mix(mix)  # checks weights given from Python too
        largest = max(mix.values())
        weights = torch.zeros(n, len(names), dtype=torch.float64)
        for name, weight in mix.items():  # scaled by the largest first, so 1e308:1e308 cannot overflow
            weights[:, label_index(name, names)] += weight / largest
        return (weights / weights.sum(1, keepdim=True)).float()
    if isinstance(label, (str, int)):
        return torch.full((n,), label_index(label, names), dtype=torch.long)
    labels = list(label)
    if len(labels) != n:
        raise ArtganError(f"got {len(labels)} labels for {n} images; give one label or one per image")
    return torch.tensor([label_index(item, names) for item in labels], dtype=torch.long)


def label_index(label: str | int, names: Sequence[str]) -> int:
    """The index of a class given by name or by index (as a number or a string of one)."""
    if isinstance(label, int) or (isinstance(label, str) and label.isdigit() and label not in names):
        index = int(label)
        if not 0 <= index < len(names):
            raise ArtganError(f"label index {index} is out of range 0–{len(names) - 1}")
        return index
    if label not in names:
        raise ArtganError(f"unknown label {label!r}{did_you_mean(str(label), names)} (labels: {', '.join(names)})")
    return list(names).index(label)
