"""Two unpaired image collections (photos and paintings), sampled as random crops."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import Dataset

from artgan.errors import ArtganError
from artgan.images import read_all


def _shrink(image: Image.Image, shorter: int) -> torch.Tensor:
    """Downscale (never up) so the shorter side is at most ``shorter``; uint8 C×H×W."""
    scale = shorter / min(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)


class Unpaired(Dataset):
    """Item ``i``: photo ``i`` and a random painting, each rescaled so its shorter side is
    a random size in [scale_min, scale_max], randomly cropped to ``crop`` and maybe flipped.

    Images are decoded once, at most at ``scale_max``, and kept in memory (style sets are
    small); a corrupt file is reported before training starts.
    """

    def __init__(self, a: str, b: str, crop: int, scale_min: int, scale_max: int) -> None:
        if not crop <= scale_min <= scale_max:
            raise ArtganError(f"need crop ≤ scale_min ≤ scale_max, got {crop}, {scale_min}, {scale_max}")
        self.crop, self.scale_min, self.scale_max = crop, scale_min, scale_max
        self.a = [_shrink(image, scale_max) for image in read_all(a)]
        self.b = [_shrink(image, scale_max) for image in read_all(b)]

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        partner = int(torch.randint(len(self.b), ()))
        return {"A": self._sample(self.a[index % len(self.a)]), "B": self._sample(self.b[partner])}

    def _sample(self, image: torch.Tensor) -> torch.Tensor:
        shorter = int(torch.randint(self.scale_min, self.scale_max + 1, ()))
        height, width = image.shape[-2:]
        scale = shorter / min(height, width)
        size = (max(self.crop, round(height * scale)), max(self.crop, round(width * scale)))
        resized = F.interpolate(image[None].float(), size=size, mode="bilinear", antialias=True, align_corners=False)[0]
        top = int(torch.randint(size[0] - self.crop + 1, ()))
        left = int(torch.randint(size[1] - self.crop + 1, ()))
        patch = resized[:, top : top + self.crop, left : left + self.crop]
        if torch.rand(()) < 0.5:
            patch = patch.flip(-1)
        return patch.clamp(0, 255) / 127.5 - 1


def unpaired(source: str | Mapping[str, str], crop: int, scale_min: int, scale_max: int) -> Unpaired:
    if not isinstance(source, Mapping) or set(source) != {"a", "b"}:
        raise ArtganError("cyclegan learns from two collections: give --data-a PHOTOS --data-b PAINTINGS")
    return Unpaired(source["a"], source["b"], crop, scale_min, scale_max)

