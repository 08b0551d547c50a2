"""Differentiable augmentation of discriminator inputs (DiffAugment, Zhao et al. 2020).

With few training images a discriminator memorises them and the generator stops learning.
Augmenting *every* image the discriminator sees, real and fake alike, with differentiable
transforms keeps it honest without leaking the augmentations into generated images. The
transforms come from kornia, or are written here, so gradients flow through them to the generator.

``shift`` moves each image by whole pixels, as DiffAugment's translation does. ``translation``
moves it by a fraction of a pixel too and resamples bilinearly, which blurs: on 28×28
handwritten numerals the mean absolute Laplacian of real images falls by 25 % (by 18 % under
``shift``, which only moves ink out of the frame) and that of speckled ones by 43 % (12 %), so
the discriminator barely sees grain or a soft edge (``benchmarks/augment_blur.py``). The shipped
presets were trained with ``translation`` and keep it for their cards to reproduce; prefer
``shift`` for new runs.
"""

from __future__ import annotations

from torch import nn

from artgan.errors import ArtganError

POLICIES = ("flip", "shift", "translation", "color", "cutout")


def build_pipeline(policy: str) -> nn.Module:
    """A kornia pipeline for a comma list of :data:`POLICIES` (e.g. ``"translation,color"``)."""
    import kornia.augmentation as K

    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ArtganError(f"augment: unknown policy {', '.join(unknown)}; choose from {', '.join(POLICIES)}")
    ops: list[nn.Module] = []
    for name in names:
        if name == "flip":
            ops.append(K.RandomHorizontalFlip(p=0.5))
        elif name == "shift":  # DiffAugment: shift by up to 1/8 of the size in whole pixels, zero fill
            ops.append(WholePixelShift(0.125))
        elif name == "translation":  # up to 1/8 of the size, sub-pixel, bilinear (blurs; see the module docstring)
            ops.append(K.RandomAffine(degrees=0.0, translate=(0.125, 0.125), padding_mode="zeros", p=1.0))
        elif name == "color":
            ops.append(_Color())
        elif name == "cutout":  # DiffAugment: one square of half the size
            ops.append(K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0.0, p=1.0))
    return nn.Sequential(*ops)


class WholePixelShift(nn.Module):
    """Shifts each image of a batch by its own whole-pixel offset, up to ``ratio`` of its height
    and width either way, filling with zeros. No resampling, so every pixel keeps its value;
    a gather, so gradients reach the pixels that were kept."""

    def __init__(self, ratio: float) -> None:
        super().__init__()
        self.ratio = ratio

    def forward(self, images):  # noqa: ANN001, ANN201
        import torch

        n, c, h, w = images.shape
        reach_y, reach_x = int(h * self.ratio + 0.5), int(w * self.ratio + 0.5)
        dy = torch.randint(-reach_y, reach_y + 1, (n, 1, 1), device=images.device)
        dx = torch.randint(-reach_x, reach_x + 1, (n, 1, 1), device=images.device)
        rows = torch.arange(h, device=images.device).view(1, h, 1) - dy  # source row of each output row
        cols = torch.arange(w, device=images.device).view(1, 1, w) - dx
        inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
        index = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).reshape(n, 1, h * w).expand(n, c, h * w)
        moved = images.reshape(n, c, h * w).gather(2, index).reshape(n, c, h, w)
        return moved * inside.to(images.dtype)


class _Color(nn.Module):
    """DiffAugment's brightness, contrast and (for RGB) saturation ranges, on the colour
    channels only: the alpha of an RGBA or LA batch passes untouched (a jittered alpha would
    teach the discriminator that real sprites have soft, shifted transparency)."""

    def __init__(self) -> None:
        import kornia.augmentation as K

        super().__init__()
        self.rgb = K.ColorJiggle(brightness=0.5, contrast=0.5, saturation=1.0, p=1.0)
        self.gray = K.ColorJiggle(brightness=0.5, contrast=0.5, p=1.0)

    def forward(self, images):  # noqa: ANN001, ANN201
        import torch

        colour = 3 if images.shape[1] in (3, 4) else 1
        jiggled = (self.rgb if colour == 3 else self.gray)(images[:, :colour])
        return torch.cat([jiggled, images[:, colour:]], dim=1) if images.shape[1] > colour else jiggled


class Augmented(nn.Module):
    """Wraps a discriminator so that every image batch it sees is augmented first."""

    def __init__(self, net: nn.Module, pipeline: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.pipeline = pipeline

    def __getattr__(self, name: str):  # noqa: ANN204 - whatever the wrapped net holds
        """Attributes the wrapper lacks are the wrapped net's (a plugin's loss may read its settings)."""
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "net":  # not set yet (during __init__): nothing to forward to
                raise
            return getattr(self.net, name)

    def forward(self, images, *args, **kwargs):  # noqa: ANN001, ANN201 - mirrors the wrapped net
        if images.dim() == 4:
            # kornia's colour ops expect [0, 1]; artgan images are in [-1, 1]
            images = self.pipeline((images + 1) / 2) * 2 - 1
        return self.net(images, *args, **kwargs)
