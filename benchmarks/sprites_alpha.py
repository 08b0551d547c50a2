"""Where a sprite model's semi-transparent pixels lie, beside the real sprites of each class.

Real anti-aliased sprites keep nearly all their semi-transparent pixels (8-bit alpha 1–254) on
the one-pixel ring around the silhouette. A generator's halo can be that ring grown soft, a faint
haze outside it, or soft holes inside; :func:`artgan_sprites.quality.semi_transparent_where`
splits them. ``n`` sprites per class (seed 0) against every real sprite of the class.

    python benchmarks/sprites_alpha.py --model sprites.props --data runs/sprites_data/props [--alpha-snap 0]
"""

from __future__ import annotations

import argparse

import artgan
from artgan_sprites.data import ClassSprites
from artgan_sprites.quality import semi_transparent_where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="preset name (sprites.props) or run/checkpoint folder")
    parser.add_argument("--data", required=True, help="class folders of real sprites, e.g. runs/sprites_data/props")
    parser.add_argument("-n", type=int, default=256, help="generated sprites per class")
    parser.add_argument("--alpha-snap", type=int, default=None,
                        help="generate's --alpha-snap (default: generate's own; 0: the model's raw alpha)")
    args = parser.parse_args()
    model = artgan.load(args.model, device="cpu")
    data = ClassSprites(args.data, model.config.image_size, model.config.binary_alpha)
    print("| class | semi-transparent: model / real | on the edge ring | outside (haze) | inside (holes) |")
    print("| --- | --- | --- | --- | --- |")
    for label, name in enumerate(data.names):
        real = semi_transparent_where(data.of_class(label))
        options = {"n": args.n, "label": name} | ({} if args.alpha_snap is None else {"alpha_snap": args.alpha_snap})
        fake = semi_transparent_where(model.run("generate", seed=0, options=options).pixels)
        cells = [f"{fake[k]:.0%} / {real[k]:.0%}" for k in ("edge", "outside", "inside")]
        print(f"| {name} | {fake['share']:.1%} / {real['share']:.1%} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
