"""Quality of the painter styles, for their model cards, and the contact sheet in samples/.

For each style: ``artgan.evaluate`` on the photos held out of training
(``benchmarks/splits/photos-heldout.txt``) against that painter's held-out paintings
(``benchmarks/splits/paintings-heldout/``, written by ``make_painting_split.py``; styles
trained from now on train on ``paintings-train/``):

- ``style_swd``: sliced Wasserstein distance ×1000 between patches of the stylized photos
  and of the paintings, beside ``style_swd_input`` for the unstylized photos (it must fall);
- ``content_ssim``: luminance SSIM of each output with its photo (aim ≥ 0.5);
- ``grid_output`` beside ``grid_input``: the mean share of spectral energy at periods of
  2–8 px (:mod:`artgan.metrics.grid`) of the stylized held-out photos and of the photos
  themselves (aim: no higher on the outputs; ``grid_higher`` counts the photos where it is,
  since a mean over photos lets the fine detail a style smooths away hide a grid it adds to
  smooth ones), and ``grid_flat``: the same figure for the
  generator's answer to flat grey and coloured 256 px pictures (their mean and largest);
- ``grid_peaks_output`` beside ``grid_peaks_input``: :func:`artgan.metrics.grid.stride_peaks`,
  how far the power on the generator's stride frequencies (k/4 cycles per pixel) stands above
  the power around them, the grid alone without the strokes (photos: about 1–3);
- ``tone_reversal``: how far the generator's answer to smooth ramps (a grey one and three
  dark night-sky ones, :mod:`artgan.metrics.tone`) swings up and down in brightness where it
  should run one way: 0 keeps dark below light, towards 1 bands; the arcs across night skies;
- with ``--classifier FILE`` (``benchmarks/painter_classifier.py``: loaded, or trained and
  saved there): ``painter_share``, the share of the stylized held-out photos a painter-vs-photo
  classifier calls the painter's (argmax), and ``painter_vs_photo_share`` (P(painter) >
  P(photo)), beside ``painter_input`` for the unstylized photos. The classifier never trained
  a generator.

A style is a name (``vangogh``) or a run or checkpoint folder (``runs/cut-vangogh``).

Then the tiling check on the real model: a 2048 px picture stylized whole and in tiles.
The contact sheet stylizes photos that ship in pip packages (scikit-image's astronaut,
rocket, coffee and chelsea), so it can be committed.

    python benchmarks/stylize_quality.py --styles vangogh monet ukiyoe cezanne [--data ../shared/data]
        [--sheet PATH | --no-sheet] [--json PATH] [--classifier runs/painter/classifier.pt]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch
from PIL import Image, ImageDraw

import artgan
from artgan.images import list_images, read_all, to_tensor
from artgan.nn import norm_statistics
from artgan.inference.tiling import translate_tiled
from artgan.metrics.grid import flat_response, grid_energy, stride_peaks
from artgan.metrics.tone import ramp_response
from artgan_cyclegan import CycleGANPlugin, stylize

sys.path.insert(0, str(Path(__file__).parent))
from painter_classifier import load_or_train, one_painting, painter_of, style_figures, stylized  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "benchmarks" / "splits" / "photos-heldout.txt"
PAINTINGS_HELDOUT = ROOT / "benchmarks" / "splits" / "paintings-heldout"  # from make_painting_split.py
SHEET_PHOTOS = ("astronaut", "rocket", "coffee", "chelsea")


def quality(model: artgan.Model, data: Path, n: int) -> dict:
    """Style and content figures; the style against the painter's held-out paintings where the
    split has them (``paintings: "held-out"``), else against all of the painter's paintings."""
    painter = painter_of(model)
    heldout = PAINTINGS_HELDOUT / f"{painter}.txt"
    paintings = heldout if heldout.is_file() else data / "paintings" / painter
    learnt_from = one_painting(model)
    with tempfile.TemporaryDirectory() as scratch:
        if learnt_from:  # a style from one painting: measured against the others
            others = [path.resolve() for path in list_images(paintings) if path.resolve() != learnt_from.resolve()]
            paintings = Path(scratch) / f"{painter}.txt"
            paintings.write_text("".join(f"{path}\n" for path in others))
        record = artgan.evaluate(model, {"a": HELDOUT, "b": paintings}, n=n, seed=0)
    record["paintings"] = "held-out" if heldout.is_file() else "all"
    if learnt_from:
        record["paintings"] += f", without {learnt_from.name}"
    return record


def grid(model: artgan.Model, photos: list[Image.Image], pictures: list[Image.Image]) -> dict:
    """The grid figure of the held-out ``photos`` (at most 512 px, as ``quality`` sees them), of
    their stylized ``pictures``, and of the model's answer to flat pictures; and its answer's
    tone reversals on smooth ramps."""
    inputs = [grid_energy(to_tensor(photo)[None]).item() for photo in photos]
    outputs = [grid_energy(to_tensor(picture)[None]).item() for picture in pictures]
    peaks_in = [stride_peaks(to_tensor(photo)[None]).item() for photo in photos]
    peaks_out = [stride_peaks(to_tensor(picture)[None]).item() for picture in pictures]
    with torch.no_grad():
        flat = flat_response(lambda x: CycleGANPlugin._translate(model, x))
        ramps = ramp_response(lambda x: CycleGANPlugin._translate(model, x))
    return {"tone_reversal": ramps,
            "grid_peaks_input": sum(peaks_in) / len(peaks_in), "grid_peaks_output": sum(peaks_out) / len(peaks_out),
            "grid_input": sum(inputs) / len(inputs), "grid_output": sum(outputs) / len(outputs),
            "grid_higher": sum(o > i for o, i in zip(outputs, inputs)),  # photos whose output has more than they had
            "grid_output_each": outputs, "grid_input_each": inputs,
            "grid_flat": {"mean": flat["mean"], "max": flat["max"], "rms_levels": flat["rms_levels"]}}


def tiling(style: str) -> dict:
    """Whole-image vs tiled result on a 2048 px picture (the tiles' seams, measured).

    Both use the normalisation statistics of the whole picture, recorded by the same code,
    so that the figure measures tiling alone (single passes of one picture compute the
    statistics with a faster kernel whose rounding differs slightly).
    """
    from skimage import data

    model = artgan.load(style, verb="stylize")
    picture = Image.fromarray(data.astronaut()).resize((2048, 2048), Image.LANCZOS)
    x = to_tensor(picture)[None]
    with torch.no_grad(), norm_statistics(list(model.nets.values()), "record"):
        whole = CycleGANPlugin._translate(model, x).cpu().float()
    tiled = translate_tiled(lambda t: CycleGANPlugin._translate(model, t), model.nets.values(), x, stats_size=4096)
    difference = (whole - tiled).abs() / 2  # in [0, 1] units
    return {"size": 2048, "max_abs_diff": difference.max().item(), "mean_abs_diff": difference.mean().item()}


def painter_figures(classifier: torch.nn.Module, model: artgan.Model, photos: list[Image.Image],
                    pictures: list[Image.Image]) -> dict:
    """The shares of the stylized held-out ``pictures`` the classifier calls the painter's, and
    the same shares of the ``photos`` themselves."""
    figures = style_figures(classifier, model, photos, pictures)
    return {"painter_share": figures["painter_share"], "painter_vs_photo_share": figures["painter_vs_photo_share"],
            "painter_input": figures["input"]}


def contact_sheet(styles: list[str], path: Path, cell: int = 256) -> None:
    from skimage import data

    photos = [Image.fromarray(getattr(data, name)()).convert("RGB") for name in SHEET_PHOTOS]
    label = 22
    sheet = Image.new("RGB", ((len(styles) + 1) * cell, len(photos) * cell + label), "white")
    draw = ImageDraw.Draw(sheet)
    for column, title in enumerate(["photo", *(Path(style).name for style in styles)]):
        draw.text((column * cell + 8, 5), title, fill="black")
    for row, photo in enumerate(photos):
        photo.thumbnail((512, 512), Image.LANCZOS)
        cells = [photo] + [stylize(photo, style=style) for style in styles]
        for column, image in enumerate(cells):
            side = min(image.size)
            left, top = (image.width - side) // 2, (image.height - side) // 2
            square = image.crop((left, top, left + side, top + side)).resize((cell, cell), Image.LANCZOS)
            sheet.paste(square, (column * cell, label + row * cell))
    sheet.save(path, quality=88)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="+", default=["vangogh"])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--sheet", type=Path, default=ROOT / "samples" / "stylize_contact_sheet.jpg")
    parser.add_argument("--no-sheet", action="store_true", help="skip the contact sheet (and the tiling check)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--classifier", type=Path,
                        help="painter-vs-photo classifier (painter_classifier.py): load it, or train and save it here")
    args = parser.parse_args()
    torch.manual_seed(0)
    classifier = load_or_train(args.classifier)[0] if args.classifier else None
    record = {}
    for style in args.styles:
        model = artgan.load(style, verb="stylize")
        photos, pictures = stylized(model, read_all(HELDOUT)[: args.n])  # once, for the grid and painter figures
        record[style] = {**quality(model, args.data, args.n), **grid(model, photos, pictures)}
        if classifier is not None:
            record[style].update(painter_figures(classifier, model, photos, pictures))
        if args.json:  # kept as it grows: the later steps need scikit-image and may fail
            args.json.write_text(json.dumps(record, indent=2) + "\n")
    if not args.no_sheet:
        record["tiling"] = tiling(args.styles[0])
    print(json.dumps(record, indent=2))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    if not args.no_sheet:
        contact_sheet(args.styles, args.sheet)
        print(f"wrote {args.sheet}", file=sys.stderr)


if __name__ == "__main__":
    main()
