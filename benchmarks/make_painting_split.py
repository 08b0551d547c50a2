"""Hold paintings out of style training, so style figures are measured on paintings a model never saw.

For each painter folder in ``DATA/paintings``: every tenth painting in name order is held out
(``benchmarks/splits/paintings-heldout/PAINTER.txt``); the rest train
(``benchmarks/splits/paintings-train/PAINTER.txt``), except near-copies of a held-out painting
(the folders mix full reproductions with 256 px WikiArt copies, so one picture can be there
twice): a training painting whose 32×32 grayscale thumbnail correlates above 0.95 with a
held-out one's is dropped from training. Deterministic: the same data gives the same lists.

    python benchmarks/make_painting_split.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ROOT / "benchmarks" / "splits"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}
EVERY = 10  # one painting in EVERY is held out
NEAR_COPY = 0.95  # thumbnail correlation above which two files are taken for one painting


def thumbnail(path: Path) -> np.ndarray:
    """A 32×32 grayscale thumbnail, zero mean and unit norm (its dot product is a correlation)."""
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("L").resize((32, 32), Image.BILINEAR), dtype=np.float64).ravel()
    pixels -= pixels.mean()
    return pixels / (np.linalg.norm(pixels) or 1.0)


def split(folder: Path) -> tuple[list[Path], list[Path], int]:
    """Held-out and training paintings of one painter, and how many near-copies were dropped."""
    paintings = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    heldout = paintings[EVERY - 1 :: EVERY]
    rest = [p for p in paintings if p not in heldout]
    held = np.stack([thumbnail(p) for p in heldout])
    train = [p for p in rest if float((held @ thumbnail(p)).max()) <= NEAR_COPY]
    return heldout, train, len(rest) - len(train)


def write_list(path: Path, header: str, paintings: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {header}", "# Paths are relative to this file; the data is ../shared/data beside the artgan checkout."]
    lines += [os.path.relpath(p.resolve(), path.parent.resolve()) for p in paintings]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    for folder in sorted(p for p in (args.data / "paintings").iterdir() if p.is_dir()):
        heldout, train, dropped = split(folder)
        painter = folder.name
        write_list(SPLITS / "paintings-heldout" / f"{painter}.txt",
                   f"{painter}: every {EVERY}th painting in name order, held out of style training", heldout)
        write_list(SPLITS / "paintings-train" / f"{painter}.txt",
                   f"{painter}: the paintings styles train on (held-out ones and {dropped} near-copies of them left out)", train)
        print(f"{painter}: {len(heldout)} held out, {len(train)} train, {dropped} near-copies dropped")


if __name__ == "__main__":
    main()
