"""Two unpaired image collections (photos and paintings), sampled as random crops."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch.utils.data import Dataset

from artgan.crops import keep_small, random_crop
from artgan.errors import ArtganError
from artgan.images import read_all


class Unpaired(Dataset):
    """Item ``i``: photo ``i`` and a random painting, each rescaled so its shorter side is
    a random size in [scale_min, scale_max], randomly cropped to ``crop`` and maybe flipped.
    With ``exposure`` > 0 the photo's exposure is moved by a random amount in ±``exposure``
    stops (see :func:`expose`), so a translator meets dark and bright versions of every scene.

    Images are decoded once, at most at ``scale_max``, and kept in memory (style sets are
    small); a corrupt file is reported before training starts.
    """

    def __init__(self, a: str, b: str, crop: int, scale_min: int, scale_max: int, exposure: float = 0.0) -> None:
        if not crop <= scale_min <= scale_max:
            raise ArtganError(f"need crop ≤ scale_min ≤ scale_max, got {crop}, {scale_min}, {scale_max}")
        self.crop, self.scale_min, self.scale_max, self.exposure = crop, scale_min, scale_max, exposure
        self.a = [keep_small(image, scale_max) for image in read_all(a)]
        self.b = [keep_small(image, scale_max) for image in read_all(b)]

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        partner = int(torch.randint(len(self.b), ()))
        photo, painting = self._sample(self.a[index % len(self.a)]), self._sample(self.b[partner])
        if self.exposure:  # drawn last, so the crops are those of a run without it
            photo = expose(photo, float(torch.empty(()).uniform_(-self.exposure, self.exposure)))
        return {"A": photo, "B": painting}

    def _sample(self, image: torch.Tensor) -> torch.Tensor:
        shorter = int(torch.randint(self.scale_min, self.scale_max + 1, ()))
        return random_crop(image, self.crop, shorter / min(image.shape[-2:]))


GAMMA = 2.2  # the sRGB transfer curve, approximated by a power law


def expose(image: torch.Tensor, stops: float) -> torch.Tensor:
    """``image`` (in [-1, 1], sRGB) as if shot ``stops`` brighter (negative: darker): linear
    light times 2**stops, clipped at white."""
    linear = ((image + 1) / 2).clamp(0, 1) ** GAMMA
    return (linear * 2.0**stops).clamp(max=1) ** (1 / GAMMA) * 2 - 1


def unpaired(source: str | Mapping[str, str], crop: int, scale_min: int, scale_max: int, exposure: float = 0.0) -> Unpaired:
    if not isinstance(source, Mapping) or set(source) != {"a", "b"}:
        raise ArtganError("cyclegan learns from two collections: give --data-a PHOTOS --data-b PAINTINGS")
    return Unpaired(source["a"], source["b"], crop, scale_min, scale_max, exposure)

