"""The font pictures of the README and the font.latin card, made the way a user would make them.

- ``samples/font_generated.png``: ``artgan generate font.latin --seed 7`` as a glyph sheet.
- ``samples/font_text.png``: a line of text set in that generated font, and in a font that
  ``artgan font complete`` made from five *photographed* letters (A B a b e) of the held-out
  Purisa, kept as drawn. The photos are simulated here, so that anyone can rebuild them: each
  letter is rendered large in dark blue-grey ink on a cream sheet lit unevenly, turned a little,
  blurred and grained, and saved as JPEG, which is what `clean.py` has to undo.

    python benchmarks/font_samples.py --heldout runs/font_data/heldout [--model font.latin] [--out samples]

(``samples/font_completion.png`` comes from ``benchmarks/font_quality.py --sheet``.)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

TEXT = "Sphinx of black quartz, judge my vow! 0123456789"
PHOTO_LETTERS = "ABabe"


def photographed_letter(font_file: Path, char: str, seed: int) -> Image.Image:
    """``char`` in ``font_file`` as a simulated phone photo of a letter drawn on paper."""
    rng = np.random.default_rng(seed)
    side = 320
    ink = Image.new("L", (side, side), 0)
    ImageDraw.Draw(ink).text((side // 2, side // 2), char, fill=255, font=ImageFont.truetype(str(font_file), 200), anchor="mm")
    ink = ink.rotate(float(rng.uniform(-4, 4)), resample=Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(1.2))
    coverage = np.asarray(ink, dtype=np.float32)[..., None] / 255
    y, x = np.mgrid[0:side, 0:side] / side
    light = 0.78 + 0.2 * (1 - 0.6 * x - 0.4 * y)[..., None]  # brighter towards the top left
    paper = np.array([238, 229, 208], dtype=np.float32) * light
    pen = np.array([45, 48, 70], dtype=np.float32)
    picture = paper * (1 - coverage) + pen * coverage + rng.normal(0, 5, (side, side, 1))
    return Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8), "RGB")


def artgan(*args: str) -> None:
    """One ``artgan`` command, as a user types it."""
    subprocess.run([sys.executable, "-m", "artgan", *args], check=True)


def caption(text: str, width: int) -> Image.Image:
    """A line of small black text on white, ``width`` wide."""
    row = Image.new("L", (width, 18), 255)
    ImageDraw.Draw(row).text((4, 3), text, fill=0)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heldout", type=Path, required=True, help="folder of the held-out families' font files")
    parser.add_argument("--model", default="font.latin")
    parser.add_argument("--out", type=Path, default=Path("samples"))
    args = parser.parse_args()
    purisa = next(args.heldout.rglob("Purisa.ttf"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        artgan("generate", args.model, "--seed", "7", "-o", str(args.out / "font_generated.png"), "--overwrite")
        artgan("generate", args.model, "--seed", "7", "-o", str(work / "Invented.otf"))
        photos = work / "photos"
        photos.mkdir()
        for i, char in enumerate(PHOTO_LETTERS):
            photographed_letter(purisa, char, i).save(photos / f"{char}.jpg", quality=85)
        artgan("font", "complete", str(photos), "-m", args.model, "-o", str(work / "Completed.otf"), "--name", "Purisa Photos")
        lines = []
        for font, label in ((work / "Invented.otf", "artgan generate font.latin --seed 7 -o Invented.otf, then artgan font render:"),
                            (work / "Completed.otf", "artgan font complete on 5 photos (A B a b e) of held-out Purisa; A B a b e kept as drawn:")):
            picture = font.with_suffix(".png")
            artgan("font", "render", str(font), TEXT, "-o", str(picture), "--size", "72")
            line = Image.open(picture).convert("L")
            lines += [caption(label, line.width), line]
        sheet = Image.new("L", (max(r.width for r in lines), sum(r.height for r in lines)), 255)
        top = 0
        for row in lines:
            sheet.paste(row, (0, top))
            top += row.height
        sheet.save(args.out / "font_text.png")
        photo_strip = Image.new("RGB", (96 * len(PHOTO_LETTERS), 96), "white")
        for i, char in enumerate(PHOTO_LETTERS):
            photo_strip.paste(Image.open(photos / f"{char}.jpg").resize((96, 96)), (96 * i, 0))
        photo_strip.save(args.out / "font_photos.jpg", quality=85)
    print(f"wrote {args.out / 'font_generated.png'}, {args.out / 'font_text.png'}, {args.out / 'font_photos.jpg'}")


if __name__ == "__main__":
    main()
