"""Training data: a folder of class folders of grayscale heightmaps (class = folder name).

Every image is decoded once (16-bit PNGs and TIFFs keep their precision), centre-cropped
to a square and resized to ``size``², then kept in memory: heightmap sets are small, and a
broken file is reported before training starts rather than in the middle of it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from artgan.errors import ArtganError
from artgan.images import IMAGE_SUFFIXES, list_images, read_tensor

log = logging.getLogger("artgan")


def class_folders(source: str) -> list[tuple[str, Path]]:
    """``(class name, folder)`` for each subfolder of ``source``, sorted by name."""
    root = Path(source)
    if not root.is_dir():
        raise ArtganError(f"{root}: no such folder; give a folder of class folders, e.g. terrain/dunes/*.png, terrain/ridges/*.png")
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    found = [(entry.name, entry) for entry in sorted(root.iterdir()) if entry.is_dir() and not entry.name.startswith(".")]
    if loose and not found:
        raise ArtganError(f"{root}: holds images but no class folders; give the folder above it, whose subfolders are the classes")
    if loose:
        raise ArtganError(f"{root}: holds images ({loose[0]}, ...) beside the class folders; move each into the folder of its class")
    if not found:
        raise ArtganError(f"{root}: has no class folders; put the heightmaps of each class in a subfolder named after it")
    return found


def load_field(path: Path, size: int) -> torch.Tensor:
    """One grayscale image as ``1×size×size`` in [-1, 1]: centre square, antialiased resize."""
    image = read_tensor(path, "L")
    height, width = image.shape[-2:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[:, top : top + side, left : left + side]
    return F.interpolate(square[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0].clamp(-1, 1)


class ClassHeights(Dataset):
    """Items ``(heights 1×S×S in [-1, 1], class index)``, flipped left–right half the time."""

    def __init__(self, source: str, size: int) -> None:
        self.names: list[str] = []
        fields, labels = [], []
        for name, folder in class_folders(source):
            loaded, skipped = [], []
            for path in list_images(folder):
                try:
                    loaded.append(load_field(path, size))
                except ArtganError as exc:
                    skipped.append(str(exc))
            if skipped:
                log.warning("class %s: skipped %d unreadable image(s), e.g. %s", name, len(skipped), skipped[0])
            if not loaded:
                raise ArtganError(f"{folder}: none of its images could be read; remove the folder or fix the files")
            fields += loaded
            labels += [len(self.names)] * len(loaded)
            self.names.append(name)
        self.fields = torch.stack(fields)
        self.labels = torch.tensor(labels, dtype=torch.long)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        field = self.fields[index]
        if torch.rand(()) < 0.5:
            field = field.flip(-1)
        return field, int(self.labels[index])
