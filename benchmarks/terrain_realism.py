"""Realism of a terrain model, for its model card, and the contact sheet in samples/.

1. ``artgan eval`` (``artgan_terrain.evaluate.realism``): per terrain statistic (slope,
   curvature, hypsometric integral, spectral β, pit fraction, log D8 flow accumulation),
   the 1-D Wasserstein distance between 128-cell crops of the model's maps and held-out
   real crops, beside fBm (β = 2, 3), diamond-square and real crops of the training part
   (the floor); the seams of tileable maps.
2. The contact sheet: hillshaded previews per landform, a 2×2 tiling of one tileable map,
   and a rendered view of a mesh read back from the ``.glb`` the model wrote.

    python benchmarks/terrain_realism.py terrain.landforms --data ../shared/data/dem \\
        --json runs/terrain_realism.json --sheet samples/terrain_contact_sheet.jpg
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import artgan
from artgan_terrain.maps import hypsometric, shaded_relief
from artgan_terrain.mesh import read_mesh

STATS = ("slope", "curvature", "hypsometric", "spectral_beta", "pit_fraction", "log_flow")


def table(result: dict) -> str:
    head = "| candidate | " + " | ".join(STATS) + " | mean (÷ real spread) | pits per cell |"
    rows = [head, "|" + " --- |" * (len(STATS) + 3)]
    for name, row in result["table"].items():
        cells = " | ".join(f"{row[k]:.4f}" for k in STATS)
        rows.append(f"| {name} | {cells} | **{row['mean_relative']:.3f}** | {row['mean_pit_fraction']:.4f} |")
    rows.append(f"| real (held out) | | | | | | | | {result['real_mean_pit_fraction']:.4f} |")
    return "\n".join(rows)


def _picture(heights: np.ndarray, cell_m: float) -> Image.Image:
    return Image.fromarray((shaded_relief(heights, cell_m) * 255).round().astype(np.uint8))


def render_mesh(vertices: np.ndarray, faces: np.ndarray, size: tuple[int, int] = (720, 420),
                yaw: float = 35.0, pitch: float = 38.0, exaggerate: float = 3.0) -> Image.Image:
    """An oblique view of a +Y-up mesh: orthographic, z-buffered, Lambert-shaded, tinted by height."""
    v = vertices.astype(np.float64).copy()
    v[:, 1] *= exaggerate
    v -= v.mean(axis=0)
    a, b = np.radians(yaw), np.radians(pitch)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    view = v @ turn.T @ tilt.T  # x right, y up, z towards the viewer
    width, height = size
    scale = 0.92 * min(width / np.ptp(view[:, 0]), height / np.ptp(view[:, 1]))
    sx = (view[:, 0] - view[:, 0].min()) * scale + (width - np.ptp(view[:, 0]) * scale) / 2
    sy = height - ((view[:, 1] - view[:, 1].min()) * scale + (height - np.ptp(view[:, 1]) * scale) / 2)
    depth = view[:, 2]
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    light = np.array([-0.5, 0.8, -0.35])
    light /= np.linalg.norm(light)
    shade = np.clip(normals @ light, 0, 1) * 0.75 + 0.25
    level = vertices[faces][:, :, 1].mean(axis=1)
    colours = hypsometric(level[None])[0] * shade[:, None]
    zbuf = np.full((height, width), -np.inf)
    image = np.ones((height, width, 3)) * np.array([0.92, 0.95, 0.98])
    for f, (i, j, k) in enumerate(faces):
        xs, ys = np.array([sx[i], sx[j], sx[k]]), np.array([sy[i], sy[j], sy[k]])
        x0, x1 = max(0, int(xs.min())), min(width - 1, int(np.ceil(xs.max())))
        y0, y1 = max(0, int(ys.min())), min(height - 1, int(np.ceil(ys.max())))
        if x0 > x1 or y0 > y1:
            continue
        px, py = np.meshgrid(np.arange(x0, x1 + 1) + 0.5, np.arange(y0, y1 + 1) + 0.5)
        d = (ys[1] - ys[2]) * (xs[0] - xs[2]) + (xs[2] - xs[1]) * (ys[0] - ys[2])
        if abs(d) < 1e-12:
            continue
        w0 = ((ys[1] - ys[2]) * (px - xs[2]) + (xs[2] - xs[1]) * (py - ys[2])) / d
        w1 = ((ys[2] - ys[0]) * (px - xs[2]) + (xs[0] - xs[2]) * (py - ys[2])) / d
        w2 = 1 - w0 - w1
        inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        z = w0 * depth[i] + w1 * depth[j] + w2 * depth[k]
        window = zbuf[y0 : y1 + 1, x0 : x1 + 1]
        nearer = inside & (z > window)
        window[nearer] = z[nearer]
        image[y0 : y1 + 1, x0 : x1 + 1][nearer] = colours[f]
    return Image.fromarray((image * 255).round().astype(np.uint8))


def contact_sheet(model: artgan.Model, out: Path, seeds: int = 4, side: int = 257) -> None:
    cell = 200
    label_width = 90
    labels = model.labels
    classes = Image.new("RGB", (label_width + seeds * cell, len(labels) * cell), "white")
    draw = ImageDraw.Draw(classes)
    for row, name in enumerate(labels):
        draw.text((6, row * cell + cell // 2 - 6), name, fill="black")
        field = model.generate(n=seeds, seed=11 + row, label=name, size=side)
        for col in range(seeds):
            picture = _picture(field.heights[col].double().numpy(), field.cell_m).resize((cell - 4, cell - 4), Image.LANCZOS)
            classes.paste(picture, (label_width + col * cell + 2, row * cell + 2))
    tile = model.generate(seed=5, label=labels[-1], size=257, tileable=True)
    periodic = tile.heights[0, :-1, :-1].double().numpy()  # the repeated edge dropped: copies then abut
    tiled = np.tile(periodic, (2, 2))
    tiling = _picture(tiled, tile.cell_m).resize((400, 400), Image.LANCZOS)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "view.glb"
        artgan.write(model.generate(seed=3, label=labels[-1], size=129, mesh_step=1), target)
        mesh = read_mesh(target.read_bytes(), ".glb")
    view = render_mesh(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    width = max(classes.width, 400 + 20 + view.width)
    sheet = Image.new("RGB", (width, classes.height + 40 + 420 + 10), "white")
    sheet.paste(classes, (0, 0))
    draw = ImageDraw.Draw(sheet)
    y = classes.height + 30
    draw.text((6, y - 22), f"2 x 2 tiling of one tileable {labels[-1]} map", fill="black")
    draw.text((420, y - 22), "the .glb mesh read back (129 x 129 samples, heights x 3)", fill="black")
    sheet.paste(tiling, (0, y))
    sheet.paste(view, (420, y))
    sheet.save(out, quality=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data", required=True, help="the elevation grids the model was trained on")
    parser.add_argument("-n", type=int, default=256, help="real crops to compare with")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--sheet", type=Path, help="write the contact sheet here")
    args = parser.parse_args()
    model = artgan.load(args.model)
    result = model.plugin.evaluate(model, args.data, n=args.n, seed=args.seed)
    print(f"{result['n']} held-out real crops of {result['crop']}² ({result['classes']}), seed {result['seed']}:\n")
    print(table(result))
    print("\nseams (1 = none): tileable", json.dumps(result["seams_tileable"]), "· not tileable", json.dumps(result["seams_plain"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.sheet:
        contact_sheet(model, args.sheet)
        print(f"wrote {args.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
