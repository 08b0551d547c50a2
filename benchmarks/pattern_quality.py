"""Quality of a pattern model per class, for its model card, and its contact sheets in samples/.

For each class, sliced Wasserstein distance ×1000 (``artgan.metrics``) against 256 real
crops of that class (drawn as in training, 64 px), for:

- the model at the training size (64 px);
- 64 px crops of the model's 256 px outputs (the any-size claim);
- a non-learned baseline: Perlin gradient noise (4 octaves) tinted with the class's mean
  colour and spread — the GAN must be closer to the real textures than this;
- other real crops of the class (the floor: what a perfect model would score).

Then the seam figure (1 ≈ seamless, ``artgan.metrics.seams``) of 256 px outputs with and
without ``tileable``, and the sheets: each class × four seeds, and a 3×3 tiling.

    python benchmarks/pattern_quality.py pattern.textures --data benchmarks/splits/textures
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw

import artgan
from artgan.images import make_grid, to_pil
from artgan.metrics import sliced_wasserstein
from artgan.metrics.seams import seam_ratio

ROOT = Path(__file__).resolve().parents[1]
N = 256  # images per set


def perlin(n: int, size: int, generator: torch.Generator, octaves: int = 4, base_cells: int = 2) -> torch.Tensor:
    """Periodic Perlin gradient noise (Perlin 2002), ``n×size×size``, zero mean, unit spread."""
    total = torch.zeros(n, size, size)
    for octave in range(octaves):
        cells = base_cells * 2**octave
        angles = torch.rand(n, cells, cells, generator=generator) * 2 * math.pi
        grads = torch.stack([angles.cos(), angles.sin()], dim=-1)  # n, cells, cells, 2
        coords = torch.arange(size, dtype=torch.float32) * cells / size
        cell, frac = coords.floor().long(), coords - coords.floor()
        fade = frac**3 * (frac * (frac * 6 - 15) + 10)
        y0, x0 = cell[:, None].expand(size, size), cell[None, :].expand(size, size)
        fy, fx = frac[:, None].expand(size, size), frac[None, :].expand(size, size)

        def corner(dy: int, dx: int) -> torch.Tensor:
            g = grads[:, (y0 + dy) % cells, (x0 + dx) % cells]
            return g[..., 0] * (fx - dx) + g[..., 1] * (fy - dy)

        uy, ux = fade[:, None].expand(size, size), fade[None, :].expand(size, size)
        top = corner(0, 0) * (1 - ux) + corner(0, 1) * ux
        bottom = corner(1, 0) * (1 - ux) + corner(1, 1) * ux
        total += (top * (1 - uy) + bottom * uy) * 0.5**octave
    total -= total.mean(dim=(1, 2), keepdim=True)
    return total / total.std(dim=(1, 2), keepdim=True).clamp_min(1e-6)


def real_crops(dataset, label: int, n: int, seed: int) -> torch.Tensor:
    """``n`` training-style crops of class ``label`` (the dataset draws classes round-robin)."""
    classes = len(dataset.names)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.stack([dataset[label + classes * i][0] for i in range(n)])


def evaluate(name: str, data: str) -> dict:
    model = artgan.load(name)
    crop = model.config.crop
    dataset = model.plugin.dataset(data, model.config)
    generator = torch.Generator().manual_seed(0)
    results = {}
    for label, cls in enumerate(model.labels):
        real = real_crops(dataset, label, N, seed=1)
        floor = real_crops(dataset, label, N, seed=2)
        fake = model.generate(N, seed=label, labels=cls, size=crop, output="tensor")
        large = model.generate(N // 4, seed=100 + label, labels=cls, size=4 * crop, output="tensor")
        large_crops = large.unfold(2, crop, crop).unfold(3, crop, crop).permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, crop, crop)
        mean, spread = real.mean(dim=(0, 2, 3)), real.std(dim=(0, 2, 3))
        noise = perlin(N, crop, generator)[:, None]
        baseline = (mean.view(1, 3, 1, 1) + spread.view(1, 3, 1, 1) * noise).clamp(-1, 1)
        swd = lambda images: round(sliced_wasserstein(images, real, seed=0)["swd"], 2)  # noqa: E731
        results[cls] = {
            "model": swd(fake),
            "model_256px_crops": swd(large_crops),
            "perlin_baseline": swd(baseline),
            "real_floor": swd(floor),
        }
    tiled = model.generate(64, seed=7, size=256, tileable=True, output="tensor")
    plain = model.generate(64, seed=7, size=256, output="tensor")
    results["seam"] = {"tileable": round(seam_ratio(tiled), 3), "not_tileable": round(seam_ratio(plain), 3)}
    return results


def sheets(name: str, out: Path, seeds: int = 4, cell: int = 128) -> list[Path]:
    model = artgan.load(name)
    label_width = 90
    sheet = Image.new("RGB", (label_width + seeds * cell, len(model.labels) * cell), "white")
    draw = ImageDraw.Draw(sheet)
    for row, cls in enumerate(model.labels):
        draw.text((6, row * cell + cell // 2 - 6), cls, fill="black")
        for column, image in enumerate(model.generate(seeds, seed=row, labels=cls, size=cell)):
            sheet.paste(image, (label_width + column * cell, row * cell))
    grid_path = out.with_name(out.stem + "_classes.jpg")
    sheet.save(grid_path, quality=90)
    tile = model.generate(1, seed=11, labels=model.labels[0], size=256, tileable=True, output="tensor")
    tiling = to_pil(make_grid(tile.repeat(9, 1, 1, 1), columns=3, padding=0))
    tiling_path = out.with_name(out.stem + f"_tiling_3x3_{model.labels[0]}.jpg")
    tiling.save(tiling_path, quality=90)
    return [grid_path, tiling_path]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="e.g. pattern.textures")
    parser.add_argument("--data", required=True, help="the data it was trained on")
    parser.add_argument("--sheet", type=Path, help="samples/ file stem for the contact sheets")
    args = parser.parse_args()
    print(json.dumps(evaluate(args.model, args.data), indent=2))
    stem = args.sheet or ROOT / "samples" / args.model.replace(".", "_")
    for path in sheets(args.model, stem):
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
