"""Texture classes from a folder of folders (or of ``.txt`` image lists), or one flat folder."""

from __future__ import annotations


import torch
from torch.utils.data import Dataset

from artgan.crops import keep_small, random_crop
from artgan.errors import ArtganError
from artgan.images import image_classes, read_all


def class_images(source: str, max_side: int) -> tuple[list[str], list[list[torch.Tensor]]]:
    """Class names and each class's images (uint8 tensors), decoded once and kept at most
    ``max_side`` pixels on their shorter side."""
    found = image_classes(source)
    return [name for name, _ in found], [[keep_small(image, max_side) for image in read_all(path)] for _, path in found]


def class_crop(group: list[torch.Tensor], crop: int, jitter: float) -> torch.Tensor:
    """A random ``crop``² piece of a random image of ``group``, from the image rescaled by a
    random factor within ±``jitter`` (never below the crop size), maybe flipped."""
    image = group[int(torch.randint(len(group), ()))]
    factor = 1 + jitter * (2 * float(torch.rand(())) - 1)
    return random_crop(image, crop, max(factor, crop / min(image.shape[-2:])))


class ClassTextures(Dataset):
    """Item ``i``: a random crop (:func:`class_crop`) of a random image of class ``i mod K`` (classes balanced)."""

    def __init__(self, source: str, crop: int, max_side: int, jitter: float) -> None:
        if crop > max_side:
            raise ArtganError(f"crop {crop} is larger than max_side {max_side}")
        self.crop, self.jitter = crop, jitter
        self.names, self.images = class_images(source, max_side)
        self.size = sum(len(group) for group in self.images)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        label = index % len(self.names)
        return class_crop(self.images[label], self.crop, self.jitter), label
