"""Class labels of conditional models: names, indices, per-image lists and weighted mixes.

One grammar for every conditional plugin: ``label`` is a class name or index for all
images, or a list with one per image; ``mix`` is ``{name: weight}`` (on the command line
``wood:0.5,stone:0.5``). Without either, each image draws a class at random.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from artgan.errors import ArtganError, did_you_mean

if TYPE_CHECKING:  # torch is imported on use, so options dataclasses can name parse_mix cheaply
    import torch


def parse_mix(value: Any) -> dict[str, float] | None:
    """``"wood:0.5,stone:0.5"`` (or a mapping) → ``{"wood": 0.5, "stone": 0.5}``; a bare name weighs 1."""
    if value is None or isinstance(value, Mapping):
        return None if value is None else {str(k): float(v) for k, v in value.items()}
    mix = {}
    for part in str(value).split(","):
        name, sep, weight = part.strip().rpartition(":")
        try:
            mix[name if sep else weight] = float(weight) if sep else 1.0
        except ValueError:
            raise ArtganError(f"mix {value!r}: write classes with weights, e.g. wood:0.5,stone:0.5") from None
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
        weights = torch.zeros(n, len(names))
        for name, weight in mix.items():
            weights[:, label_index(name, names)] = float(weight)
        if (weights < 0).any() or weights.sum(1).min() <= 0:
            raise ArtganError("label weights must be ≥ 0 and not all zero")
        return weights / weights.sum(1, keepdim=True)
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
