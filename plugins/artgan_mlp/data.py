"""Training images for the MLP GAN: a folder of images, or the built-in ``builtin:digits``.

Everything is decoded once into memory as ``1×S×S`` grayscale tensors in [-1, 1]: the
images are tiny, and a corrupt file is reported (and skipped) before training starts
rather than in the middle of it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import Dataset

from artgan.errors import ArtganError
from artgan.images import read_all, to_tensor

BUILTIN = {"builtin:digits": "scikit-learn's 1,797 handwritten digits (8×8), upscaled"}


class TensorImages(Dataset):
    """Images held in one tensor ``N×1×S×S``."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


def load_dataset(source: str, image_size: int) -> TensorImages:
    """Read ``source`` (a folder or a ``builtin:`` name) as ``image_size``² grayscale images."""
    if not isinstance(source, str):
        raise ArtganError("the mlp plugin trains on one collection: give --data FOLDER (or builtin:digits)")
    if source.startswith("builtin:"):
        if source != "builtin:digits":
            raise ArtganError(f"unknown built-in dataset {source!r}; available: {', '.join(BUILTIN)}")
        return TensorImages(digits(image_size))
    return TensorImages(torch.stack([to_tensor(_square(image, image_size)) for image in read_all(source, "L")]))


def digits(image_size: int = 28) -> torch.Tensor:
    """scikit-learn's digits (ink white on black, like MNIST) as ``N×1×S×S`` in [-1, 1].

    The 8×8 digits are upscaled bicubically to 6/7 of the size and centred with a margin,
    as MNIST centres its 20×20 digits in 28×28.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ArtganError("builtin:digits needs scikit-learn: pip install scikit-learn") from None
    small = torch.from_numpy(load_digits().images).float().div(16.0).unsqueeze(1)
    inner = round(image_size * 6 / 7)
    large = F.interpolate(small, size=(inner, inner), mode="bicubic", align_corners=False).clamp(0, 1)
    margin = image_size - inner
    large = F.pad(large, (margin // 2, margin - margin // 2, margin // 2, margin - margin // 2))
    return large * 2 - 1


def _square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square and resize to ``size``²."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)
