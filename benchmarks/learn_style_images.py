"""Styles from one painting (``artgan stylize --style-image``), learnt for the quality benchmark.

For each painter, one painting its shipped style never saw (the first of
``benchmarks/splits/paintings-heldout/PAINTER.txt``, in name order, whose shorter side is at
least 512 px: a user's painting, not one of the data's 256 px copies) is learnt exactly as
``artgan stylize photo.jpg --style-image PAINTING --photos benchmarks/splits/photos-train.txt
--minutes M`` learns it, into the cache folder ``--cache`` (``ARTGAN_HOME``). It prints the
model folders, one per line, for ``stylize_quality.py --styles``, which then measures each
against its painter's *other* held-out paintings::

    python benchmarks/learn_style_images.py --minutes 10 --cache runs/style_cache > runs/style_images.txt
    python benchmarks/stylize_quality.py --styles $(cat runs/style_images.txt) --no-sheet --classifier ...
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPLITS = ROOT / "benchmarks" / "splits"
PAINTERS = ("vangogh", "monet", "ukiyoe", "cezanne")


def first_heldout(painter: str, shorter_side: int = 512) -> Path:
    """The first held-out painting of ``painter`` (never in the shipped style's training data) at least ``shorter_side`` px."""
    from PIL import Image

    from artgan.images import list_images

    for path in list_images(SPLITS / "paintings-heldout" / f"{painter}.txt"):
        with Image.open(path) as image:
            if min(image.size) >= shorter_side:
                return path
    raise SystemExit(f"{painter}: no held-out painting of {shorter_side} px or more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--painters", nargs="+", default=list(PAINTERS))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cache", type=Path, required=True, help="cache folder the styles are learnt into (ARTGAN_HOME)")
    args = parser.parse_args()
    os.environ["ARTGAN_HOME"] = str(args.cache.resolve())
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")  # the steps and time it plans
    from artgan_cyclegan.style_image import learn_style

    for painter in args.painters:
        painting = first_heldout(painter)
        started = time.perf_counter()
        model = learn_style(painting, [str(SPLITS / "photos-train.txt")], minutes=args.minutes, progress=False)
        print(model, flush=True)
        print(f"{painter}: {painting.name} learnt in {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
