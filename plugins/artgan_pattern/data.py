"""Texture classes from a folder of folders (or of ``.txt`` image lists), or one flat folder."""

from __future__ import annotations


import torch
from torch.utils.data import Dataset

from artgan.crops import keep_small, random_crop
from artgan.errors import ArtganError
from artgan.images import image_classes, read_all


class ClassTextures(Dataset):
    """Item ``i``: a random crop of a random image of class ``i mod K`` (classes balanced).

    Images are decoded once and kept at most ``max_side`` pixels on their shorter side;
    each crop comes from the image rescaled by a random factor within ±``jitter`` (never
    below the crop size), maybe flipped.
    """

    def __init__(self, source: str, crop: int, max_side: int, jitter: float) -> None:
        if crop > max_side:
            raise ArtganError(f"crop {crop} is larger than max_side {max_side}")
        self.crop, self.jitter = crop, jitter
        found = image_classes(source)
        self.names = [name for name, _ in found]
        self.images = [[keep_small(image, max_side) for image in read_all(path)] for _, path in found]
        self.size = sum(len(group) for group in self.images)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        label = index % len(self.names)
        group = self.images[label]
        image = group[int(torch.randint(len(group), ()))]
        factor = 1 + self.jitter * (2 * float(torch.rand(())) - 1)
        return random_crop(image, self.crop, max(factor, self.crop / min(image.shape[-2:]))), label
