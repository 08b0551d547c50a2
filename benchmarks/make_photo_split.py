"""Hold more photos out of style training, so style and content figures rest on many pictures.

The shipped styles trained on ``benchmarks/splits/photos-train.txt`` (28 photos) and were
measured on the 8 photos of ``photos-heldout.txt``. ``../shared/data/photos`` now holds far
more. This keeps the training list as it is and writes:

- ``photos-heldout.txt``: the 8 held-out photos, then every fourth of the other photos in
  name order (neither list's near-copies: a photo whose 32×32 grayscale thumbnail correlates
  above 0.95 with a training photo's is left out, as in ``make_painting_split.py``);
- ``photos-extra.txt``: the photos in neither list, which a measuring network (the painter
  classifier of ``painter_classifier.py``) may learn from, and later styles may train on;
- ``photos-styles.txt``: ``photos-train.txt`` and ``photos-extra.txt`` together, every photo
  outside the held-out list: what styles train on from now on (night scenes included).

Deterministic: the same data gives the same lists.

    python benchmarks/make_photo_split.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from make_painting_split import NEAR_COPY, SPLITS, SUFFIXES, ROOT, thumbnail, write_list

EVERY = 4  # one photo in EVERY of those not yet in a list is held out
FIRST_HELDOUT = 8  # the original held-out photos head the list and stay in it


def listed(path: Path) -> list[Path]:
    """The photos a split list names (paths relative to the list), in order."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [(path.parent / line).resolve() for line in lines if line and not line.startswith("#")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    train = listed(SPLITS / "photos-train.txt")
    original = listed(SPLITS / "photos-heldout.txt")[:FIRST_HELDOUT]
    trained = np.stack([thumbnail(p) for p in train])
    others = [p.resolve() for p in sorted((args.data / "photos").iterdir())
              if p.suffix.lower() in SUFFIXES and p.resolve() not in train and p.resolve() not in original]
    copies = [p for p in others if float((trained @ thumbnail(p)).max()) > NEAR_COPY]
    others = [p for p in others if p not in copies]
    heldout = original + others[EVERY - 1 :: EVERY]
    extra = [p for p in others if p not in heldout]
    write_list(SPLITS / "photos-heldout.txt",
               f"Photos held out of style training: the first {FIRST_HELDOUT} since the first styles, then every "
               f"{EVERY}th other photo in name order (make_photo_split.py)", heldout)
    write_list(SPLITS / "photos-extra.txt",
               "Photos in neither photos-train.txt nor photos-heldout.txt: for measuring networks (painter_classifier.py)",
               extra)
    write_list(SPLITS / "photos-styles.txt",
               "Photos styles train on: photos-train.txt, then photos-extra.txt; none of photos-heldout.txt "
               "(make_photo_split.py)", train + extra)
    print(f"{len(train)} train (unchanged), {len(heldout)} held out, {len(extra)} extra, "
          f"{len(copies)} near-copies of training photos left out")


if __name__ == "__main__":
    main()
