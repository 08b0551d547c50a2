"""Quality of ``mlp.digits`` for its model card: SWD against real digits, and class coverage.

1. Sliced Wasserstein distance ×1000 (``artgan.metrics``) of 850 samples against 850 real
   digits, beside two references measured the same way: an untrained generator of the same
   architecture (the ceiling) and 850 other real digits (the floor).
2. Which digits it draws: a logistic-regression classifier trained on 80 % of scikit-learn's
   8×8 digits labels 1000 samples, brought back to 8×8 (the inverse of ``builtin:digits``'s
   upscaling). Its accuracy on the held-out real digits through the same round trip says
   how far to trust the histogram.

    python benchmarks/mlp_digits_quality.py [--model mlp.digits]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import artgan
from artgan.metrics import sliced_wasserstein
from artgan_mlp.data import digits

N = 850


def to_8x8(images: torch.Tensor) -> np.ndarray:
    """28×28 images in [-1, 1] → scikit-learn's 8×8 digits in [0, 16] (crop the margin, area-average)."""
    inner = images[:, :, 2:26, 2:26].add(1).div(2)
    return (F.adaptive_avg_pool2d(inner, 8) * 16).flatten(1).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp.digits")
    args = parser.parse_args()
    model = artgan.load(args.model, device="cpu")
    real = digits(28)
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))
    real_a, real_b = real[order[:N]], real[order[N : 2 * N]]
    samples = model.generate(n=N, seed=0).pixels
    untrained = model.untrained().generate(n=N, seed=0).pixels
    swd = {
        "model": sliced_wasserstein(samples, real_a, seed=0)["swd"],
        "untrained generator": sliced_wasserstein(untrained, real_a, seed=0)["swd"],
        "real digits (floor)": sliced_wasserstein(real_b, real_a, seed=0)["swd"],
    }
    data = load_digits()
    train_index, test_index = train_test_split(np.arange(len(data.target)), test_size=0.2, random_state=0)
    classifier = LogisticRegression(max_iter=5000).fit(data.data[train_index], data.target[train_index])
    round_trip = classifier.score(to_8x8(real[test_index]), data.target[test_index])  # real: same order
    labels = classifier.predict(to_8x8(model.generate(n=1000, seed=1).pixels))
    counts = np.bincount(labels, minlength=10)
    record = {
        "model": args.model,
        "swd_x1e3": {k: round(v, 2) for k, v in swd.items()},
        "classifier_accuracy_real_round_trip": round(float(round_trip), 3),
        "classes_of_1000_samples": {str(d): int(c) for d, c in enumerate(counts)},
        "real_class_share": {str(d): round(float(np.mean(data.target == d)), 3) for d in range(10)},
    }
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
