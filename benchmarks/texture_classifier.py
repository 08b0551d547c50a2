"""A crop classifier trained from scratch on real textures or paintings, for ``pattern_quality``.

It answers the question a user asks of ``pattern.textures --label brick``: does this look like
the class it was asked for? Two views of each 64 px crop:

- ``structure``: luminance only, each crop standardised to zero mean and unit spread, so a
  class cannot be recognised by its palette or brightness — only by its marks (mortar lines,
  grain, cobbles, ripples, strokes). A tinted-noise baseline with the class's exact colours
  must score low here, and that is checked beside every figure.
- ``colour``: the RGB crop as it is (palette counts too).

The classifier never sees a generated picture while it trains and never trains a generator.
Its own accuracy is measured on real crops of images it did not train on: the held-out list
given, or every 4th image of each class in name order.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from artgan_pattern.data import class_crop

MODES = ("structure", "colour")
HOLD_EVERY = 4  # without a held-out list, every 4th image of a class (name order) is held out
STEPS = 1500
BATCH = 64
JITTER = 0.25  # scale jitter of the crops, the pattern plugin's default


def split(images: list[list[torch.Tensor]]) -> tuple[list[list[torch.Tensor]], list[list[torch.Tensor]]]:
    """Every :data:`HOLD_EVERY`-th image of a class held out, the rest to train on."""
    train = [[im for i, im in enumerate(group) if i % HOLD_EVERY != HOLD_EVERY - 1] for group in images]
    held = [[im for i, im in enumerate(group) if i % HOLD_EVERY == HOLD_EVERY - 1] for group in images]
    return train, held


def crops(images: list[list[torch.Tensor]], per_class: int, crop: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` random crops of every class (random image, scale ±25 %, flips), with labels."""
    out, labels = [], []
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for label, group in enumerate(images):
            for _ in range(per_class):
                out.append(class_crop(group, crop, JITTER))
                labels.append(label)
    return torch.stack(out), torch.tensor(labels)


def view(pictures: torch.Tensor, mode: str) -> torch.Tensor:
    """What the classifier sees of ``N×3×H×W`` pictures in [-1, 1] (see the module docstring)."""
    if mode == "colour":
        return pictures
    grey = (0.299 * pictures[:, 0] + 0.587 * pictures[:, 1] + 0.114 * pictures[:, 2])[:, None]
    grey = grey - grey.mean(dim=(2, 3), keepdim=True)
    return grey / grey.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)


class CropNet(nn.Module):
    """Four conv stages (16-32-64-128, batch norm, max-pooling) and a linear layer on the pooled features."""

    def __init__(self, classes: int, mode: str) -> None:
        super().__init__()
        self.mode = mode
        layers, channels = [], 1 if mode == "structure" else 3
        for width in (16, 32, 64, 128):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
            channels = width
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(channels, classes))

    def forward(self, pictures: torch.Tensor) -> torch.Tensor:
        return self.net(view(pictures, self.mode))


def train(images: list[list[torch.Tensor]], crop: int, mode: str, seed: int = 0, steps: int = STEPS) -> CropNet:
    """Balanced minibatches of fresh random crops, flipped and transposed at random; AdamW, cosine schedule."""
    torch.manual_seed(seed)
    model = CropNet(len(images), mode)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    per_class = max(1, BATCH // len(images))
    for step in range(steps):
        x, y = crops(images, per_class, crop, seed=seed * 1_000_003 + step)
        if torch.rand(()) < 0.5:
            x = x.transpose(-1, -2)
        if torch.rand(()) < 0.5:
            x = x.flip(-2)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        for group in optimiser.param_groups:
            group["lr"] = 2e-3 * 0.5 * (1 + math.cos(math.pi * (step + 1) / steps))
    return model.eval()


@torch.no_grad()
def predict(model: CropNet, pictures: torch.Tensor) -> torch.Tensor:
    """The class index of each picture."""
    return torch.cat([model(chunk).argmax(1) for chunk in pictures.split(256)])


def load_or_train(path: Path | None, names: list[str], train_images: list[list[torch.Tensor]], crop: int,
                  mode: str, settings: dict, steps: int = STEPS) -> CropNet:
    """The classifier saved at ``path`` if it was trained with these ``settings``, else a fresh one (saved there)."""
    settings = {**settings, "names": names, "crop": crop, "mode": mode, "steps": steps}
    if path is not None and path.exists():
        saved = torch.load(path, weights_only=False)
        if saved["settings"] == settings:
            model = CropNet(len(names), mode)
            model.load_state_dict(saved["state"])
            return model.eval()
    model = train(train_images, crop, mode, steps=steps)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"settings": settings, "state": model.state_dict()}, path)
    return model


def shares(model: CropNet, pictures: torch.Tensor, classes: int) -> list[float]:
    """The fraction of ``pictures`` given each class."""
    counts = torch.bincount(predict(model, pictures), minlength=classes).float()
    return (counts / len(pictures)).tolist()
