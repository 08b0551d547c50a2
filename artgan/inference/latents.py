"""Paths between random inputs, for sliding from one seed's picture to another's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import torch

Latents = Mapping[str, Sequence[torch.Tensor]]


def latent_path(start: Latents, end: Latents, frames: int) -> Iterator[dict[str, list[torch.Tensor]]]:
    """``frames`` latents from ``start`` to ``end`` (both included) for Gaussian inputs.

    The straight line between two Gaussian samples passes through points of lower variance
    (half, in the middle), which generators render as washed-out pictures; dividing by
    ``sqrt((1-t)² + t²)`` keeps every point at unit variance, so each frame is as plausible
    as the ends.
    """
    for t in torch.linspace(0, 1, frames).tolist():
        scale = ((1 - t) ** 2 + t**2) ** 0.5
        yield {key: [((1 - t) * a + t * b) / scale for a, b in zip(start[key], end[key])] for key in start}
