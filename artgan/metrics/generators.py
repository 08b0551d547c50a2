"""Quality of a generator against real data: SWD of samples vs training images."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from artgan.errors import ArtganError
from artgan.metrics.swd import sliced_wasserstein


def image_of(item: Any) -> torch.Tensor:
    """The image of a dataset item (a tensor, an ``(image, label)`` tuple or ``{"image": ...}``)."""
    if isinstance(item, torch.Tensor):
        return item
    if isinstance(item, (tuple, list)) and item and isinstance(item[0], torch.Tensor):
        return item[0]
    if isinstance(item, dict) and isinstance(item.get("image"), torch.Tensor):
        return item["image"]
    raise ArtganError("cannot find the image in the plugin's dataset items; the plugin should override evaluate()")


def real_images(dataset: Any, n: int, seed: int) -> torch.Tensor:
    """``n`` (or all, if fewer) images drawn from ``dataset`` without replacement."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(dataset), generator=generator)[:n]
    return torch.stack([image_of(dataset[int(i)]).float() for i in order])


def evaluate_generator(sample: Callable[[int, int], torch.Tensor], dataset: Any, *, n: int, seed: int) -> dict[str, Any]:
    """SWD×1000 between ``n`` samples (``sample(count, seed)`` → ``N×C×H×W``) and ``n`` items of ``dataset``."""
    real = real_images(dataset, n, seed)
    fake = sample(real.shape[0], seed)
    if fake.shape[1:] != real.shape[1:]:
        raise ArtganError(
            f"the model makes {tuple(fake.shape[1:])} images but the data gives {tuple(real.shape[1:])}; "
            "evaluate on data the model was trained for"
        )
    return {"metric": "sliced_wasserstein_x1e3", "n": real.shape[0], "seed": seed, **sliced_wasserstein(fake, real, seed=seed)}
