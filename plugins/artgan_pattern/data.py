"""Texture classes from a folder of folders (or of ``.txt`` image lists), or one flat folder."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from artgan.crops import keep_small, random_crop
from artgan.errors import ArtganError
from artgan.images import IMAGE_SUFFIXES, read_all


def discover_classes(source: str) -> list[tuple[str, Path]]:
    """``(class name, folder or list)`` pairs: each subfolder or ``.txt`` list is a class; a
    folder of images alone, or one list, is a single class named after it."""
    root = Path(source)
    if not root.exists():
        raise ArtganError(f"{root}: no such folder")
    if root.is_file():
        return [(root.stem, root)]
    classes = [
        (entry.stem if entry.is_file() else entry.name, entry)
        for entry in sorted(root.iterdir())
        if not entry.name.startswith(".") and (entry.is_dir() or entry.suffix.lower() == ".txt")
    ]
    loose = [p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    if classes and loose:
        raise ArtganError(f"{root}: holds both class folders and loose images; move the images into a class folder")
    return classes or [(root.name, root)]


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
        found = discover_classes(source)
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
