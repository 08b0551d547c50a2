"""Quality of an image-to-image model: style distance to collection B, content kept from A."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from PIL import Image

from artgan.errors import ArtganError
from artgan.images import read_all, to_tensor
from artgan.metrics.ssim import ssim
from artgan.metrics.swd import sliced_wasserstein

SWD_SIZE = 256  # images are compared as centre squares of this side
PATCHES = 1024  # SWD descriptors per image and level (style sets are small)


def square(image: Image.Image, size: int = SWD_SIZE) -> torch.Tensor:
    """The centre square of ``image``, resized to ``size``², as ``3×size×size`` in [-1, 1]."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return to_tensor(image.convert("RGB").crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS))


def evaluate_translation(translate: Callable[[Image.Image], Image.Image], source: str | Mapping[str, str], *, n: int,
                         seed: int, max_size: int = 512) -> dict[str, Any]:
    """Translate (with ``translate``, picture → picture) up to ``n`` images of ``source["a"]``
    (at most ``max_size`` px) and report

    - ``style_swd``: SWD×1000 of their patches against ``source["b"]``'s — how much they
      look like B — beside ``style_swd_input``, the same for the untranslated inputs: a
      working model brings the first clearly below the second;
    - ``content_ssim``: mean luminance SSIM of each output with its input — how much of the
      picture survives (1 = all).
    """
    if not isinstance(source, Mapping) or set(source) != {"a", "b"}:
        raise ArtganError("evaluating a translation needs two collections: --data-a INPUTS --data-b TARGET-STYLE")
    inputs = read_all(source["a"])[:n]
    targets = torch.stack([square(image) for image in read_all(source["b"])])
    outputs, similarity = [], []
    for image in inputs:
        scale = min(1.0, max_size / max(image.size))
        small = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS) if scale < 1 else image
        translated = translate(small)
        outputs.append(translated)
        similarity.append(ssim(to_tensor(translated.convert("RGB"))[None], to_tensor(small.convert("RGB"))[None]).item())
    translated = torch.stack([square(image) for image in outputs])
    originals = torch.stack([square(image) for image in inputs])
    style = sliced_wasserstein(translated, targets, seed=seed, patches_per_image=PATCHES)
    baseline = sliced_wasserstein(originals, targets, seed=seed, patches_per_image=PATCHES)
    return {
        "n_inputs": len(inputs),
        "n_targets": targets.shape[0],
        "style_swd": style["swd"],
        "style_swd_input": baseline["swd"],
        "style_swd_levels": style["swd_levels"],
        "content_ssim": sum(similarity) / len(similarity),
    }
