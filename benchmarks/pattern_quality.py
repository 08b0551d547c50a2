"""Quality of a pattern model, for its model card, and its contact sheets in samples/.

1. ``artgan.evaluate``: per class, SWD×1000 against real training-style crops of that class
   for the model, for crops of its larger outputs, for a tinted Perlin-noise baseline (the
   model must be closer to the real textures than this) and for other real crops (floor).
2. The asked class: a crop classifier trained from scratch on real crops
   (``benchmarks/texture_classifier.py``; its accuracy on held-out real crops is reported)
   labels the model's 64 px pictures and 64 px pieces of its 256 px tileable ones; the share
   given the asked class, per class, beside the same for the tinted-noise baseline (which has
   the class's colours and no structure) and for held-out real crops. Two classifiers: one
   sees structure only (standardised luminance), one sees colour too.
3. The seam figure (``artgan.metrics.seams``; 1 ≈ seamless) of 256 px outputs, tileable
   and not; their 2-pixel ripple (1 = none) and the mean step at each position within a noise-field
   cell (all 1 = no grid tied to the cells; the wrap-around edge falls at the last position), which
   move the seam figure without a seam.
4. Sheets: each class × four seeds, and a 3×3 tiling of one tileable output.

    python benchmarks/pattern_quality.py pattern.textures --data benchmarks/splits/textures
    python benchmarks/pattern_quality.py pattern.canvas --data benchmarks/splits/paintings-train \\
        --heldout benchmarks/splits/paintings-heldout

``--classifiers DIR`` keeps the trained classifiers there and reuses them while the data and
settings are the same (measuring several checkpoints costs one training).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw

import artgan
import texture_classifier as tc
from artgan.errors import ArtganError
from artgan.images import make_grid, to_pil
from artgan.metrics.seams import ripple_ratio, seam_ratio, step_profile
from artgan_pattern.baseline import tinted_noise
from artgan_pattern.data import class_images

ROOT = Path(__file__).resolve().parents[1]


def seams(model: artgan.Model) -> dict:
    tiled = model.generate(n=64, seed=7, size=256, tileable=True).pixels
    plain = model.generate(n=64, seed=7, size=256).pixels
    profile = step_profile(tiled, model.nets["G"].factor)
    return {"tileable": seam_ratio(tiled), "not_tileable": seam_ratio(plain), "ripple_tileable": ripple_ratio(tiled),
            "step_by_position_in_field_cell": [round(v, 3) for v in profile]}


def pieces(pictures: torch.Tensor, crop: int) -> torch.Tensor:
    """``crop``² pieces of ``N×3×H×W`` pictures, without overlap."""
    return pictures.unfold(2, crop, crop).unfold(3, crop, crop).permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, crop, crop)


def asked_class(model: artgan.Model, data: str, heldout: str | None, n: int, store: Path | None) -> dict:
    """Per classifier view and class: the share of pictures given the asked class (see the docstring)."""
    crop, max_side = model.config.crop, model.config.max_side
    names, images = class_images(data, max_side)
    if names != list(model.labels):
        raise ArtganError(f"the data's classes {names} are not the model's {list(model.labels)}")
    if heldout is None:
        train_images, held_images = tc.split(images)
    else:
        held_names, held_images = class_images(heldout, max_side)
        if held_names != names:
            raise ArtganError(f"the held-out classes {held_names} are not the data's {names}")
        train_images = images
    real, real_labels = tc.crops(held_images, n, crop, seed=1)
    generator = torch.Generator().manual_seed(0)
    pictures = {}
    for label, name in enumerate(names):
        pictures[name] = {
            "model_64px": model.generate(n=n, seed=label, label=name, size=crop).pixels,
            "model_256px_pieces": pieces(model.generate(n=max(1, n // 16), seed=100 + label, label=name,
                                                        size=4 * crop, tileable=True).pixels, crop),
            "baseline_perlin": tinted_noise(tc.crops([train_images[label]], n, crop, seed=2 + label)[0], n, generator),
            "real_heldout": real[real_labels == label],
        }
    settings = {"data": data, "heldout": heldout, "max_side": max_side}
    record = {"heldout_images": {name: len(group) for name, group in zip(names, held_images)}}
    for mode in tc.MODES:
        path = None if store is None else store / f"{Path(data).name}_{mode}.pt"
        classifier = tc.load_or_train(path, names, train_images, crop, mode, settings)
        per_class = {name: {kind: tc.shares(classifier, batch, len(names))[label] for kind, batch in sets.items()}
                     for label, (name, sets) in enumerate(pictures.items())}
        means = {kind: sum(c[kind] for c in per_class.values()) / len(names) for kind in next(iter(per_class.values()))}
        record[mode] = {"own_accuracy_heldout": means["real_heldout"], "mean": means, "classes": per_class}
    return record


def sheets(model: artgan.Model, stem: Path, seeds: int = 4, cell: int = 128) -> list[Path]:
    label_width = 90
    sheet = Image.new("RGB", (label_width + seeds * cell, len(model.labels) * cell), "white")
    draw = ImageDraw.Draw(sheet)
    for row, name in enumerate(model.labels):
        draw.text((6, row * cell + cell // 2 - 6), name, fill="black")
        for column, image in enumerate(artgan.to_pil(model.generate(n=seeds, seed=row, label=name, size=cell))):
            sheet.paste(image, (label_width + column * cell, row * cell))
    classes_path = stem.with_name(stem.name + "_classes.jpg")
    sheet.save(classes_path, quality=90)
    tile = model.generate(seed=11, label=model.labels[0], size=256, tileable=True).pixels
    tiling_path = stem.with_name(stem.name + f"_tiling_3x3_{model.labels[0]}.jpg")
    to_pil(make_grid(tile.repeat(9, 1, 1, 1), columns=3, padding=0)).save(tiling_path, quality=90)
    return [classes_path, tiling_path]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="e.g. pattern.textures")
    parser.add_argument("--data", required=True, help="the data it was trained on")
    parser.add_argument("--heldout", help="held-out real images of the same classes, for the classifier's own "
                        "accuracy (default: every 4th image of each class in --data, which it then does not train on)")
    parser.add_argument("--classifiers", type=Path, help="folder to keep the trained classifiers in, and reuse")
    parser.add_argument("-n", type=int, default=256, help="images per set and class")
    parser.add_argument("--sheet", type=Path, help="file stem for the contact sheets (default: samples/<model>)")
    args = parser.parse_args()
    model = artgan.load(args.model)
    record = {"quality": artgan.evaluate(model, args.data, n=args.n, seed=0),
              "asked_class": asked_class(model, args.data, args.heldout, args.n, args.classifiers),
              "seam": seams(model)}
    print(json.dumps(record, indent=2))
    for path in sheets(model, args.sheet or ROOT / "samples" / args.model.replace(".", "_")):
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
