"""Quality of a pattern model, for its model card, and its contact sheets in samples/.

1. ``artgan.evaluate``: per class, SWD×1000 against real training-style crops of that class
   for the model, for crops of its larger outputs, for a tinted Perlin-noise baseline (the
   model must be closer to the real textures than this) and for other real crops (floor).
2. The seam figure (``artgan.metrics.seams``; 1 ≈ seamless) of 256 px outputs, tileable
   and not.
3. Sheets: each class × four seeds, and a 3×3 tiling of one tileable output.

    python benchmarks/pattern_quality.py pattern.textures --data benchmarks/splits/textures
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw

import artgan
from artgan.images import make_grid, to_pil
from artgan.metrics.seams import seam_ratio

ROOT = Path(__file__).resolve().parents[1]


def seams(model: artgan.Model) -> dict:
    tiled = model.generate(n=64, seed=7, size=256, tileable=True).pixels
    plain = model.generate(n=64, seed=7, size=256).pixels
    return {"tileable": seam_ratio(tiled), "not_tileable": seam_ratio(plain)}


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
    parser.add_argument("-n", type=int, default=256, help="images per set and class")
    parser.add_argument("--sheet", type=Path, help="file stem for the contact sheets (default: samples/<model>)")
    args = parser.parse_args()
    model = artgan.load(args.model)
    record = {"quality": artgan.evaluate(model, args.data, n=args.n, seed=0), "seam": seams(model)}
    print(json.dumps(record, indent=2))
    for path in sheets(model, args.sheet or ROOT / "samples" / args.model.replace(".", "_")):
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
