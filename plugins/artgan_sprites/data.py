"""Sprite classes from a folder of class folders (or of ``.txt`` image lists), as RGBA tensors.

Every sprite is cropped to its opaque part and fitted, aspect kept, into an ``S×S`` square
(centred, transparent around it). A sprite already within the square is not resized, so
native pixel art (Dungeon Crawl's 32×32 tiles) keeps every pixel. A larger one is shrunk
with premultiplied colour (transparent pixels' colour never bleeds into the edge) and a box
filter; for ``binary_alpha`` models its alpha is then cut at one half.
"""

from __future__ import annotations


import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from artgan.errors import ArtganError
from artgan.images import image_classes, read_all


def fit_sprite(image: Image.Image, size: int, binary_alpha: bool) -> torch.Tensor:
    """One RGBA sprite as a ``4×size×size`` tensor in ``[-1, 1]`` (straight alpha; colour 0
    where transparent), cropped to its opaque part and fitted into the square."""
    rgba = image.convert("RGBA")
    box = rgba.getchannel("A").getbbox()
    if box is None:  # fully transparent: nothing to learn from, but keep the count honest
        return torch.full((4, size, size), -1.0)
    rgba = rgba.crop(box)
    w, h = rgba.size
    array = np.asarray(rgba, dtype=np.float32) / 255.0
    if max(w, h) > size:
        scale = size / max(w, h)
        new = (max(1, round(w * scale)), max(1, round(h * scale)))
        alpha = array[:, :, 3:]
        premultiplied = np.concatenate([array[:, :, :3] * alpha, alpha], axis=2)
        channels = [Image.fromarray(premultiplied[:, :, c], "F").resize(new, Image.Resampling.BOX) for c in range(4)]
        array = np.stack([np.asarray(c) for c in channels], axis=2)
        alpha = np.clip(array[:, :, 3:], 0, 1)
        array = np.concatenate([np.clip(array[:, :, :3] / np.maximum(alpha, 1e-6), 0, 1), alpha], axis=2)
        w, h = new
    if binary_alpha:
        array[:, :, 3] = (array[:, :, 3] >= 0.5).astype(np.float32)
    array[:, :, :3] *= array[:, :, 3:] > 0
    out = np.zeros((size, size, 4), dtype=np.float32)
    top, left = (size - h) // 2, (size - w) // 2
    out[top : top + h, left : left + w] = array
    return torch.from_numpy(out).permute(2, 0, 1) * 2 - 1


class ClassSprites(Dataset):
    """Item ``i``: ``(sprite 4×S×S in [-1, 1], class)``, sprites of all classes in turn.

    The engine's sampler shuffles; classes are not rebalanced (a class with more sprites is
    seen more often, as in the data). Sprites are decoded once and kept in memory.
    """

    def __init__(self, source: str, size: int, binary_alpha: bool) -> None:
        found = image_classes(source)
        self.names = [name for name, _ in found]
        self.sprites: list[torch.Tensor] = []
        self.labels: list[int] = []
        for label, (name, path) in enumerate(found):
            images = read_all(path, mode="RGBA")
            if not images:
                raise ArtganError(f"{path}: class {name!r} has no readable images")
            for image in images:
                self.sprites.append(fit_sprite(image, size, binary_alpha))
                self.labels.append(label)

    def __len__(self) -> int:
        return len(self.sprites)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.sprites[index], self.labels[index]

    def of_class(self, label: int) -> torch.Tensor:
        """Every sprite of one class, ``N×4×S×S``."""
        return torch.stack([s for s, y in zip(self.sprites, self.labels) if y == label])
