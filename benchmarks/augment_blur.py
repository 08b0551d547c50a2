"""What the discriminator sees through each shift policy: does the augmentation blur it?

1. Mean absolute Laplacian (high-frequency energy) of 512 real built-in digits, and of the same
   digits with 10 % of their pixels brightened (speckle, as a weak generator draws it), before
   and after ``translation`` and ``shift``.
2. The share of semi-transparent pixels (8-bit alpha 1–254) of each sprite class's real
   sprites, before and after ``flip,translation`` and ``flip,shift`` (``--sprites``: the class
   folders that ``python -m artgan_sprites.classes`` writes; skipped without it).

    python benchmarks/augment_blur.py [--sprites runs/sprites_data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

from artgan.engine.augment import build_pipeline

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)


def high_frequency(images: torch.Tensor) -> float:
    """Mean absolute Laplacian of a batch of one-channel images in [0, 1]."""
    return F.conv2d(images, LAPLACIAN).abs().mean().item()


def digits() -> torch.Tensor:
    """512 real digits as the built-in data makes them: 8×8 → 24×24 bicubic, centred in 28×28, [0, 1]."""
    from sklearn.datasets import load_digits

    small = torch.tensor(load_digits().images[:512], dtype=torch.float32).unsqueeze(1) / 16
    return F.pad(F.interpolate(small, size=24, mode="bicubic").clamp(0, 1), (2, 2, 2, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sprites", type=Path, default=None, help="folder of sprite class folders")
    args = parser.parse_args()
    torch.manual_seed(0)
    real = digits()
    speckled = (real + 0.3 * (torch.rand_like(real) > 0.9).float()).clamp(0, 1)
    for name, images in (("real digits", real), ("speckled digits", speckled)):
        figures = {policy: high_frequency(build_pipeline(policy)(images)) for policy in ("translation", "shift")}
        print(f"{name}: mean |Laplacian| {high_frequency(images):.4f}; after translation {figures['translation']:.4f}, "
              f"after shift {figures['shift']:.4f}")
    if args.sprites is None:
        return
    from artgan_sprites.data import ClassSprites
    from artgan_sprites.quality import semi_transparent

    for folder in sorted(p for p in args.sprites.iterdir() if p.is_dir() and not p.name.endswith("_heldout")):
        sprites = torch.stack(ClassSprites(str(folder), 32, False).sprites)  # [-1, 1]
        seen = {policy: semi_transparent(build_pipeline(policy)((sprites + 1) / 2) * 2 - 1)
                for policy in ("flip,translation", "flip,shift")}
        print(f"{folder.name} sprites: semi-transparent {semi_transparent(sprites):.1%}; as D sees them through "
              f"flip,translation {seen['flip,translation']:.1%}, through flip,shift {seen['flip,shift']:.1%}")


if __name__ == "__main__":
    main()
