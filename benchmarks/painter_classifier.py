"""A painter-vs-photo classifier, trained here from scratch, that measures the painter styles.

Issue 11 (point 4a): on the held-out photos, stylized outputs must be called the painter's by
a classifier that never trained a generator. This one is a small CNN (no pretrained weights,
nothing downloaded) with five classes, ``photo`` and the four painters, trained on
``benchmarks/splits/paintings-train/`` and the training photos (``photos-train.txt`` and
``photos-extra.txt``). The held-out paintings give its own accuracy; the held-out photos give
its photo accuracy (unstylized) and, stylized, the style figures.

**Scale policy.** Every picture the classifier sees (training painting, photo, stylized
output) is first resized so its *shorter side is 256 px* (``SHORT_SIDE``), then cut into
112 px crops. A stylized output of a held-out photo (thumbnailed to 512 px on its long side,
so 288–384 px on its short side) is thus shrunk by the same rule as a 1000 px painting, and
the painters' 256 px WikiArt copies (most van Gogh ones) are seen at their own size: train
and measure see the same texture scale per picture, close to the 144–288 px the styles
train at. Crops are a third to a half of the shorter side: brushwork and local colour, not
composition.

**Training.** Each step draws the same number of crops from every class (a balanced batch),
with horizontal flips, a scale jitter of ±15 % (a crop of 97–129 px resized to 112) and, for
every class alike, colour jitter (80 % of crops: saturation, then each channel's mean and
spread, see :func:`recolour`) or grey (10 %): a first version without it called 75 % of
photos merely moved to the ukiyo-e palette ukiyo-e.
Deterministic for a seed. ``SEEDS`` networks form an ensemble (mean softmax).

**Prediction** for one picture: the mean softmax over a fixed 3×3 grid of crops.

**Controls** (a measure that called these the painter's would be worthless): the held-out
photos with a plain tint, a blend of ``TINT`` towards the painter's mean colour; the photos
with their colours moved to each painter's palette (per-channel mean *and spread* of the
painter's training paintings, the colour transfer of Reinhard et al. 2001 done in RGB: a
harder control, since it also changes the contrast); and the photos in grey.

    python benchmarks/painter_classifier.py --classifier runs/painter/classifier.pt \\
        [--styles vangogh monet ukiyoe cezanne] [--json FILE]

``--classifier FILE`` loads the ensemble if the file exists, else trains it and saves it there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

import artgan
from artgan.images import IMAGE_SUFFIXES, read_all, to_pil, to_tensor

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ROOT / "benchmarks" / "splits"
PAINTERS = ("cezanne", "monet", "ukiyoe", "vangogh")
CLASSES = ("photo", *PAINTERS)  # index 0 is the photo class
SHORT_SIDE = 256  # every picture's shorter side is resized to this before cropping (train and measure)
CROP = 112  # side of the crops the network sees
JITTER = 0.15  # training crops are CROP × (1 ± JITTER) px before being resized to CROP
GRID = 3  # prediction: the mean softmax of GRID × GRID fixed crops
SEEDS = (0, 1, 2)  # the ensemble's members
STEPS = 500  # training steps per member
COLOUR = 0.8  # share of training crops whose colours are jittered (so that colour alone cannot name a painter)
GREY = 0.1  # share of training crops turned grey
PER_CLASS = 8  # crops of each class per step (a batch holds PER_CLASS × 5)
TINT = 0.35  # the plain-tint control: this share of each pixel is the painter's mean colour
MAX_INPUT = 512  # held-out photos are thumbnailed to this long side before stylizing


# --------------------------------------------------------------------------- pictures
def prepare(image: Image.Image) -> torch.Tensor:
    """A picture as the classifier sees it: RGB, shorter side SHORT_SIDE, 3×H×W in [-1, 1]."""
    image = image.convert("RGB")
    scale = SHORT_SIDE / min(image.size)
    size = (max(SHORT_SIDE, round(image.width * scale)), max(SHORT_SIDE, round(image.height * scale)))
    if size != image.size:
        image = image.resize(size, Image.LANCZOS)
    return to_tensor(image)


def split(name: str) -> dict[str, list[Image.Image]]:
    """The pictures of a split by class: ``train`` (training paintings, training and extra
    photos) or ``heldout`` (held-out paintings and photos)."""
    photos = ["photos-train.txt", "photos-extra.txt"] if name == "train" else ["photos-heldout.txt"]
    folder = SPLITS / ("paintings-train" if name == "train" else "paintings-heldout")
    pictures = {"photo": [image for listing in photos for image in read_all(SPLITS / listing)]}
    pictures.update({painter: read_all(folder / f"{painter}.txt") for painter in PAINTERS})
    return pictures


def random_crops(pictures: list[torch.Tensor], n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` training crops (n×3×CROP×CROP) of random pictures: random place, scale jitter, flips."""
    crops = []
    for _ in range(n):
        picture = pictures[int(torch.randint(len(pictures), (1,), generator=generator))]
        _, height, width = picture.shape
        scale = 1 + JITTER * (2 * float(torch.rand(1, generator=generator)) - 1)
        side = min(round(CROP * scale), height, width)
        top = int(torch.randint(height - side + 1, (1,), generator=generator))
        left = int(torch.randint(width - side + 1, (1,), generator=generator))
        crop = picture[None, :, top : top + side, left : left + side]
        if side != CROP:
            crop = F.interpolate(crop, size=(CROP, CROP), mode="bilinear", align_corners=False, antialias=True)
        if float(torch.rand(1, generator=generator)) < 0.5:
            crop = crop.flip(-1)
        crops.append(recolour(crop, generator))
    return torch.cat(crops)


def recolour(crop: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A crop (1×3×H×W) with, at random, jittered colours or no colour at all. The jitter moves
    each channel's mean (±0.125 of the range) and scales its spread about it (a shared contrast
    ×0.6–1.4 times a per-channel ×0.75–1.25), after a saturation change (×0.5–1.5). Every class
    gets it, so that a global colour change (a tint, another palette) cannot name a painter."""
    draw = float(torch.rand(1, generator=generator))
    grey = crop.mean(1, keepdim=True)
    if draw < GREY:
        return grey.expand_as(crop)
    if draw < GREY + COLOUR:
        saturation = 0.5 + float(torch.rand(1, generator=generator))
        crop = grey + saturation * (crop - grey)
        mean = crop.mean((2, 3), keepdim=True)
        contrast = 0.6 + 0.8 * float(torch.rand(1, generator=generator))
        spread = contrast * (1 + 0.25 * (2 * torch.rand(1, 3, 1, 1, generator=generator) - 1))
        offset = 0.25 * (2 * torch.rand(1, 3, 1, 1, generator=generator) - 1)
        return (mean + offset + spread * (crop - mean)).clamp(-1, 1)
    return crop


def grid_crops(picture: torch.Tensor) -> torch.Tensor:
    """The GRID × GRID fixed crops of a prepared picture, evenly spread over it."""
    _, height, width = picture.shape
    tops = torch.linspace(0, height - CROP, GRID).round().long().tolist()
    lefts = torch.linspace(0, width - CROP, GRID).round().long().tolist()
    return torch.stack([picture[:, t : t + CROP, l : l + CROP] for t in tops for l in lefts])


# --------------------------------------------------------------------------- networks
class PainterNet(nn.Module):
    """CROP px RGB → 5 logits: four stride-2 conv stages, global mean pooling (about 0.2 M weights)."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in [(3, 24), (24, 48), (48, 96), (96, 160)]:
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(160, len(CLASSES)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).mean((2, 3)))


class PainterClassifier(nn.Module):
    """The mean softmax of several PainterNets."""

    def __init__(self, members: int = len(SEEDS)) -> None:
        super().__init__()
        self.members = nn.ModuleList(PainterNet() for _ in range(members))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(images).softmax(1) for member in self.members]).mean(0)

    @torch.no_grad()
    def probabilities(self, pictures: list[Image.Image]) -> torch.Tensor:
        """N×5 class probabilities of pictures (any size and mode): mean over the grid crops."""
        self.eval()
        return torch.stack([self(grid_crops(prepare(picture))).mean(0) for picture in pictures])


def train_member(train: dict[str, list[torch.Tensor]], seed: int, steps: int = STEPS) -> PainterNet:
    """One network, trained with Adam on balanced batches of random crops; deterministic for a seed."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = PainterNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    labels = torch.arange(len(CLASSES)).repeat_interleave(PER_CLASS)
    net.train()
    for _ in range(steps):
        batch = torch.cat([random_crops(train[name], PER_CLASS, generator) for name in CLASSES])
        loss = F.cross_entropy(net(batch), labels, label_smoothing=0.05)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return net.eval()


def load_or_train(path: Path | None, train: dict[str, list[torch.Tensor]] | None = None) -> tuple[PainterClassifier, dict]:
    """The ensemble from ``path`` if it exists, else trained (and saved there when ``path`` is given);
    and a description of how it was made (with the training wall time)."""
    if path is not None and path.is_file():
        saved = torch.load(path, weights_only=True)
        if saved["settings"] != settings():
            raise SystemExit(f"{path} was trained with other settings ({saved['settings']}); delete it to retrain")
        classifier = PainterClassifier(len(saved["settings"]["seeds"]))
        classifier.load_state_dict(saved["state"])
        return classifier.eval(), {**saved["settings"], "train_wall_time_s": saved["train_wall_time_s"], "loaded": str(path)}
    if train is None:
        train = {name: [prepare(image) for image in images] for name, images in split("train").items()}
    start = time.perf_counter()
    classifier = PainterClassifier(0)
    classifier.members = nn.ModuleList(train_member(train, seed) for seed in SEEDS)
    wall = round(time.perf_counter() - start, 1)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"state": classifier.state_dict(), "settings": settings(), "train_wall_time_s": wall}, path)
    return classifier.eval(), {**settings(), "train_wall_time_s": wall, "train_threads": torch.get_num_threads(),
                               "train_pictures": {name: len(images) for name, images in train.items()}}


def settings() -> dict:
    """What a saved ensemble must match to be reused."""
    return {"classes": list(CLASSES), "short_side": SHORT_SIDE, "crop": CROP, "jitter": JITTER, "grid": GRID,
            "seeds": list(SEEDS), "steps": STEPS, "per_class": PER_CLASS, "colour": COLOUR, "grey": GREY,
            "colour_jitter": "per-channel mean and spread"}


# --------------------------------------------------------------------------- figures
def painter_share(classifier: PainterClassifier, painter: str, pictures: list[Image.Image]) -> float:
    """Share of ``pictures`` whose most probable class is ``painter``."""
    return shares(classifier.probabilities(pictures), painter)["painter_share"]


def shares(probabilities: torch.Tensor, painter: str) -> dict[str, float]:
    """The style figures from N×5 probabilities: the argmax share of ``painter`` and the binary
    share where P(painter) > P(photo)."""
    index = CLASSES.index(painter)
    return {"painter_share": round(float((probabilities.argmax(1) == index).float().mean()), 3),
            "painter_vs_photo_share": round(float((probabilities[:, index] > probabilities[:, 0]).float().mean()), 3)}


def own_accuracy(classifier: PainterClassifier, heldout: dict[str, list[Image.Image]]) -> dict:
    """Accuracy on the held-out pictures of each class, and the confusion matrix (rows: true class)."""
    confusion = {}
    for name in CLASSES:
        predicted = classifier.probabilities(heldout[name]).argmax(1)
        confusion[name] = {other: int((predicted == j).sum()) for j, other in enumerate(CLASSES)}
    accuracy = {name: round(row[name] / sum(row.values()), 3) for name, row in confusion.items()}
    paintings = sum(confusion[p][p] for p in PAINTERS) / sum(sum(confusion[p].values()) for p in PAINTERS)
    return {"accuracy": accuracy, "painting_accuracy": round(paintings, 3), "confusion": confusion}


def palettes(train: dict[str, list[Image.Image]]) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Each painter's mean palette: the per-channel mean and spread of its training paintings."""
    result = {}
    for painter in PAINTERS:
        pixels = torch.cat([prepare(image).flatten(1) for image in train[painter]], 1)
        result[painter] = (pixels.mean(1), pixels.std(1))
    return result


def tinted(photo: Image.Image, palette: tuple[torch.Tensor, torch.Tensor]) -> Image.Image:
    """``photo`` blended by TINT towards the palette's mean colour (a plain tint)."""
    x = to_tensor(photo.convert("RGB"))
    return to_pil((1 - TINT) * x + TINT * palette[0][:, None, None])


def palette_moved(photo: Image.Image, palette: tuple[torch.Tensor, torch.Tensor]) -> Image.Image:
    """``photo`` with each channel's mean and spread moved to the palette's (a colour change only)."""
    x = to_tensor(photo.convert("RGB")).flatten(1)
    mean, std = palette
    moved = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + 1e-6) * std[:, None] + mean[:, None]
    return to_pil(moved.view(3, photo.height, photo.width))


def controls(classifier: PainterClassifier, photos: list[Image.Image], palette: dict) -> dict:
    """Shares of pictures that are not the painter's: tinted, palette-moved and grey photos."""
    grey = classifier.probabilities([photo.convert("L") for photo in photos])
    return {
        "tinted_photos": {p: shares(classifier.probabilities([tinted(x, palette[p]) for x in photos]), p)
                          for p in PAINTERS},
        "palette_moved_photos": {p: shares(classifier.probabilities([palette_moved(x, palette[p]) for x in photos]), p)
                                 for p in PAINTERS},
        "grey_photos": {p: shares(grey, p) for p in PAINTERS},
        "grey_photos_called_photo": round(float((grey.argmax(1) == 0).float().mean()), 3),
    }


def one_painting(model: artgan.Model) -> Path | None:
    """The painting a style learnt from alone (``--style-image``), or None for a collection."""
    source = Path(str(model.checkpoint.meta["data"]["b"]))
    return source if source.suffix.lower() in IMAGE_SUFFIXES else None


def painter_of(model: artgan.Model) -> str:
    """The painter a style learnt: its ``b`` data is a folder or a .txt list named after the painter,
    or one painting inside the painter's folder (``--style-image``)."""
    painting = one_painting(model)
    return painting.parent.name if painting else Path(str(model.checkpoint.meta["data"]["b"])).stem


def thumbnails(photos: list[Image.Image], size: int = MAX_INPUT) -> list[Image.Image]:
    """Copies of ``photos`` in RGB, at most ``size`` px on their long side (as the stylize benchmark feeds them)."""
    result = []
    for photo in photos:
        photo = photo.convert("RGB")
        photo.thumbnail((size, size), Image.LANCZOS)
        result.append(photo)
    return result


def stylized(model: artgan.Model, photos: list[Image.Image]) -> tuple[list[Image.Image], list[Image.Image]]:
    """``photos`` thumbnailed as the stylize benchmark feeds them, and the model's 8-bit outputs
    for them (as a user's file holds them)."""
    inputs = thumbnails(photos)
    return inputs, [artgan.to_pil(model.run("stylize", photo))[0] for photo in inputs]


def style_figures(classifier: PainterClassifier, model: artgan.Model, inputs: list[Image.Image],
                  outputs: list[Image.Image]) -> dict:
    """The style figures of a model's ``outputs`` for ``inputs`` (from :func:`stylized`), beside the inputs' own."""
    painter = painter_of(model)
    if painter not in PAINTERS:
        raise SystemExit(f"the style learnt from {painter!r}, which is not one of the classifier's painters {PAINTERS}")
    return {"painter": painter, **shares(classifier.probabilities(outputs), painter),
            "input": shares(classifier.probabilities(inputs), painter), "photos": len(inputs)}


def measure_style(classifier: PainterClassifier, model: artgan.Model, photos: list[Image.Image]) -> dict:
    """The style figures of a loaded stylize model on ``photos`` (thumbnailed), beside the photos' own."""
    return style_figures(classifier, model, *stylized(model, photos))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", type=Path, help="cache: load the ensemble from this file, or train and save it there")
    parser.add_argument("--styles", nargs="*", default=[], help="shipped style names or run/checkpoint folders to measure")
    parser.add_argument("--json", type=Path, help="also write the record to this file")
    args = parser.parse_args()
    torch.manual_seed(0)
    train = split("train")
    classifier, made = load_or_train(args.classifier, None if args.classifier and args.classifier.is_file()
                                     else {name: [prepare(image) for image in images] for name, images in train.items()})
    heldout = split("heldout")
    photos = thumbnails(heldout["photo"])
    record = {"classifier": made, "heldout": own_accuracy(classifier, heldout),
              "controls": controls(classifier, photos, palettes(train)), "styles": {}}
    print(json.dumps({k: record[k] for k in ("classifier", "heldout", "controls")}, indent=2), flush=True)
    for style in args.styles:
        start = time.perf_counter()
        record["styles"][style] = measure_style(classifier, artgan.load(style, verb="stylize"), heldout["photo"])
        record["styles"][style]["wall_time_s"] = round(time.perf_counter() - start, 1)
        print(json.dumps({style: record["styles"][style]}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
