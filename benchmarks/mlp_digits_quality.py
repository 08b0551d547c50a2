"""Quality of ``mlp.digits`` for its model card: does it draw all ten digits, recognisably?

1. **Recognised digits.** Five small convolutional classifiers (seeds 0–4) are trained here,
   from scratch, on 80 % of the real 28×28 digits the GAN learnt from (``--data``:
   ``builtin:digits``, or ``builtin:mnist-5k``; the split is scikit-learn's
   ``train_test_split(random_state=0)``), with ±2 px shifts.
   They never touch the GAN's training. A sample counts as *recognised* when the ensemble's
   mean softmax puts at least ``--confidence`` (0.9) on one digit: an ensemble is less
   over-confident on ambiguous pictures than one network (Lakshminarayanan et al. 2017;
   measured here: blends of two digits called with confidence by one network 43.6 %, by the
   five 25.9 %). The classifier's own accuracy and
   recognised share on the held-out 20 %, and the recognised share of three kinds of
   non-digits (an untrained generator; real digits with their pixels shuffled; 50/50 blends
   of two different real digits) show how far the figure can be trusted: a measure that
   called those digits would be worthless.
   ``--check-samples 5000`` recognises that many samples of another seed as well: the
   1,000-sample figure moves by 1–3 points between sample sets.
2. **Which digits.** The histogram of the classifier's labels over the 1,000 samples; the
   target is every digit between 5 % and 15 %.
3. **SWD** ×1000 (``artgan.metrics``) of 850 samples against 850 real digits, beside an
   untrained generator (the ceiling) and 850 other real digits (the floor).

    python benchmarks/mlp_digits_quality.py [--model mlp.digits | RUN/checkpoints/step-N ...]

Several models may be given (checkpoints along a run, say): the classifier is trained once
and each model is measured with it. Prints one JSON record per model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch import nn

import artgan
from artgan.metrics import sliced_wasserstein
from artgan_mlp.data import digits, mnist_5k

N_SWD = 850
N_CLASSES = 1000
CHECK_SEED = 2  # the seed of --check-samples (the main figures use seeds 0 and 1)


class DigitClassifier(nn.Module):
    """28×28 grayscale → 10 logits: two conv/pool stages and a hidden layer (about 0.2 M weights)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


def shift(images: torch.Tensor, generator: torch.Generator, pixels: int = 2) -> torch.Tensor:
    """Each image moved by a random whole-pixel offset in [-pixels, pixels] (background fills in)."""
    padded = F.pad(images, (pixels,) * 4, value=-1.0)
    out = torch.empty_like(images)
    offsets = torch.randint(0, 2 * pixels + 1, (images.shape[0], 2), generator=generator)
    size = images.shape[-1]
    for i, (dy, dx) in enumerate(offsets.tolist()):
        out[i] = padded[i, :, dy : dy + size, dx : dx + size]
    return out


def train_classifier(images: torch.Tensor, labels: torch.Tensor, *, epochs: int = 40, seed: int = 0) -> DigitClassifier:
    """The classifier, trained with Adam on shifted copies of ``images``; deterministic for a seed."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), 64):
            index = order[start : start + 64]
            loss = F.cross_entropy(model(shift(images[index], generator)), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


class Ensemble(nn.Module):
    """The mean softmax of several classifiers."""

    def __init__(self, members: list[DigitClassifier]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(images).softmax(1) for member in self.members]).mean(0)


@torch.no_grad()
def recognise(classifier: Ensemble, images: torch.Tensor, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Predicted digits and whether each prediction is at least ``confidence`` sure."""
    probabilities = torch.cat([classifier(chunk) for chunk in images.split(500)])
    top, label = probabilities.max(1)
    return label.numpy(), (top >= confidence).numpy()


def non_digits(real: torch.Tensor, labels: torch.Tensor, untrained: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """Pictures that are not one clear digit, to show the recognised share can be low."""
    generator = torch.Generator().manual_seed(seed)
    flat = real.flatten(1)
    shuffled = torch.stack([row[torch.randperm(row.numel(), generator=generator)] for row in flat]).view_as(real)
    partner = torch.randperm(len(real), generator=generator)
    differ = labels != labels[partner]
    blends = ((real + real[partner]) / 2)[differ]
    return {"untrained generator": untrained, "shuffled pixels": shuffled, "blend of two digits": blends}


def real_digits(source: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The real 28×28 digits of ``source`` in [-1, 1] and their labels."""
    if source == "builtin:mnist-5k":
        return mnist_5k(28)
    from sklearn.datasets import load_digits

    return digits(28), torch.from_numpy(load_digits().target).long()


def measure(name: str, classifier: Ensemble, real: torch.Tensor, confidence: float, check_samples: int = 0) -> dict:
    """The record for one model (a preset name or a checkpoint folder); ``check_samples`` more
    samples of another seed (2) show how far the 1,000-sample figures move between sample sets."""
    model = artgan.load(name, device="cpu")
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))
    real_a, real_b = real[order[:N_SWD]], real[order[N_SWD : 2 * N_SWD]]
    samples = model.generate(n=N_SWD, seed=0).pixels
    untrained = model.untrained().generate(n=N_SWD, seed=0).pixels
    swd = {
        "model": sliced_wasserstein(samples, real_a, seed=0)["swd"],
        "untrained generator": sliced_wasserstein(untrained, real_a, seed=0)["swd"],
        "real digits (floor)": sliced_wasserstein(real_b, real_a, seed=0)["swd"],
    }
    labels, sure = recognise(classifier, model.generate(n=N_CLASSES, seed=1).pixels, confidence)
    counts = np.bincount(labels, minlength=10)
    sure_counts = np.bincount(labels[sure], minlength=10)
    share = counts / N_CLASSES
    check = {}
    if check_samples:
        check_labels, check_sure = recognise(classifier, model.generate(n=check_samples, seed=CHECK_SEED).pixels, confidence)
        check_share = np.bincount(check_labels, minlength=10) / check_samples
        check = {"check": {"samples": check_samples, "seed": CHECK_SEED, "recognised": round(float(check_sure.mean()), 3),
                           "digit_share_range": [round(float(check_share.min()), 3), round(float(check_share.max()), 3)]}}
    return {
        "model": name,
        "recognised": round(float(sure.mean()), 3),
        "digit_share": {str(d): round(float(s), 3) for d, s in enumerate(share)},
        "recognised_per_digit": {str(d): int(c) for d, c in enumerate(sure_counts)},
        "every_digit_5_to_15_percent": bool(((share >= 0.05) & (share <= 0.15)).all()),
        "swd_x1e3": {k: round(v, 2) for k, v in swd.items()},
        **check,
        "_untrained": untrained,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["mlp.digits"], help="presets or checkpoint folders")
    parser.add_argument("--confidence", type=float, default=0.9, help="top probability a recognised sample needs")
    parser.add_argument("--data", default="builtin:digits", choices=["builtin:digits", "builtin:mnist-5k"],
                        help="the real digits the models learnt from: the classifier and SWD use them")
    parser.add_argument("--check-samples", type=int, default=0,
                        help="also recognise this many samples of seed 2 (5000: how much the figure moves between sample sets)")
    parser.add_argument("--classifier", type=Path, help="cache: load the ensemble from this file, or train and save it there")
    args = parser.parse_args()
    real, targets = real_digits(args.data)
    train_index, test_index = train_test_split(np.arange(len(targets)), test_size=0.2, random_state=0)
    if args.classifier and args.classifier.exists():
        classifier = Ensemble([DigitClassifier() for _ in range(5)]).eval()
        classifier.load_state_dict(torch.load(args.classifier, weights_only=True))
    else:
        classifier = Ensemble([train_classifier(real[train_index], targets[train_index], seed=seed) for seed in range(5)])
        if args.classifier:
            torch.save(classifier.state_dict(), args.classifier)
    test_labels, test_sure = recognise(classifier, real[test_index], args.confidence)
    reference = {
        "classifier": f"5 × (2 conv + 2 dense layers), trained here on 80 % of {args.data} (±2 px shifts, 40 epochs)",
        "held_out_accuracy": round(float((test_labels == targets[test_index].numpy()).mean()), 3),
        "held_out_recognised": round(float(test_sure.mean()), 3),
        "confidence": args.confidence,
    }
    for number, name in enumerate(args.model):
        record = measure(name, classifier, real, args.confidence, args.check_samples)
        untrained = record.pop("_untrained")
        if number == 0:
            controls = non_digits(real[test_index], targets[test_index], untrained)
            reference["recognised_non_digits"] = {
                k: round(float(recognise(classifier, v, args.confidence)[1].mean()), 3) for k, v in controls.items()
            }
            print(json.dumps(reference, indent=2))
        print(json.dumps(record, indent=2 if len(args.model) == 1 else None))


if __name__ == "__main__":
    main()
