"""Training crops for plugin datasets: small images kept in memory, random rescaled crops.

Style and texture sets are small, so datasets decode every image once (shrunk to what
training needs) and cut random crops from memory: rescaled by a factor the caller draws,
cropped at a random place, flipped half the time, as float ``3×crop×crop`` in [-1, 1].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def keep_small(image: Image.Image, shorter_side: int) -> torch.Tensor:
    """The image as uint8 ``3×H×W``, downscaled (never up) to at most ``shorter_side``."""
    scale = shorter_side / min(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1)


def random_crop(image: torch.Tensor, crop: int, scale: float) -> torch.Tensor:
    """A ``crop``² piece of uint8 ``image`` rescaled by ``scale`` (never below the crop),
    at a random place, flipped left–right half the time; float in [-1, 1]."""
    height, width = image.shape[-2:]
    size = (max(crop, round(height * scale)), max(crop, round(width * scale)))
    resized = F.interpolate(image[None].float(), size=size, mode="bilinear", antialias=True, align_corners=False)[0]
    top = int(torch.randint(size[0] - crop + 1, ()))
    left = int(torch.randint(size[1] - crop + 1, ()))
    patch = resized[:, top : top + crop, left : left + crop]
    if torch.rand(()) < 0.5:
        patch = patch.flip(-1)
    return patch.clamp(0, 255) / 127.5 - 1
