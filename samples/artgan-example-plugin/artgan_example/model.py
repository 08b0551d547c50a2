"""Networks and data of the example plugin."""

from __future__ import annotations

import torch
from PIL import Image
from torch import nn
from torch.utils.data import Dataset

from artgan.images import list_images, read_image, to_tensor


class Generator(nn.Module):
    """Noise → ``N×3×S×S`` in [-1, 1]: a linear stem at S/4, two ×2 upsampling convs."""

    def __init__(self, z_dim: int, width: int, size: int) -> None:
        super().__init__()
        self.width, self.base = width, size // 4
        self.stem = nn.Linear(z_dim, width * self.base * self.base)
        self.body = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2), nn.Conv2d(width, width // 2, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2), nn.Conv2d(width // 2, 3, 3, padding=1), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.stem(z).view(-1, self.width, self.base, self.base))


class Discriminator(nn.Module):
    """``N×3×S×S`` → one logit each: two stride-2 convs and a linear head."""

    def __init__(self, width: int, size: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width // 2, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(width * (size // 4) ** 2, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images).squeeze(1)


class FolderImages(Dataset):
    """Every image under a folder, read through artgan.images and resized to S×S."""

    def __init__(self, folder: str, size: int) -> None:
        self.paths, self.size = list_images(folder), size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        image = read_image(self.paths[index], "RGB").resize((self.size, self.size), Image.BICUBIC)
        return to_tensor(image)
