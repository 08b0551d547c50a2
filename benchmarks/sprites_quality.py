"""Quality of a ``sprites`` model, per class, for its model card.

Against the held-out sprites of each class (``python -m artgan_sprites.classes`` writes the
split: every 8th sprite of a class, in name order, never trained on):

1. **SWD** ×1000 (``artgan.metrics.sliced_wasserstein``) of premultiplied RGBA, and of the
   alpha channel alone, for the model, for the memorisation baseline (training sprites,
   randomly mirrored and recoloured by a random hue rotation: not a model, a copy machine)
   and for the training sprites themselves (the floor: real against real).
2. **Class**: a small CNN trained from scratch on the training split (never shown to the
   generator) labels generated sprites; its accuracy on the held-out real sprites is the
   ceiling. Target: ≥ 80 % of generated sprites given the asked class.
3. **Novelty**: each sprite's distance (RMS over premultiplied RGBA pixels, and over alpha
   alone: the silhouette) to its nearest training sprite or that sprite's mirror image,
   beside the same for held-out real sprites (what a *new* real sprite scores) and the mean
   distance between two random real sprites. The baseline's silhouette distance is 0.
4. **Alpha cleanliness**: the share of semi-transparent pixels (8-bit alpha 1–254), model
   beside real.
5. **--vary colour**: for 16 seeds, 8 colour variants each: whether the alpha is identical
   (it must be, by construction) and the mean colour change (in [0, 1] units) over pixels
   opaque in both, between variants, beside the same between sprites of different seeds.

    python benchmarks/sprites_quality.py --model plugins/artgan_sprites/presets/props \\
        --data runs/sprites_data/props [--sheet samples/sprites_props.jpg]

(``--heldout`` defaults to ``DATA_heldout``.) With fewer than 16 held-out sprites in a class
(buildings), SWD uses all of that class's real sprites and says so.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

import artgan
from artgan.metrics import sliced_wasserstein
from artgan_sprites.data import ClassSprites
from artgan_sprites.formats import Sprites
from artgan_sprites.model import premultiply
from artgan_sprites.quality import semi_transparent

MIN_HELDOUT = 16  # fewer held-out sprites than this in a class: SWD against all its real sprites


def recolour(sprites: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each sprite with probability ½ and rotate its hue by a random angle (about the grey axis)."""
    out = []
    for sprite in sprites:
        angle = float(torch.rand((), generator=generator)) * 2 * math.pi
        c, s = math.cos(angle), math.sin(angle)
        k = 1 / math.sqrt(3)
        axis = torch.full((3,), k)
        rotation = c * torch.eye(3) + s * torch.tensor([[0, -k, k], [k, 0, -k], [-k, k, 0]]) + (1 - c) * torch.outer(axis, axis)
        rgb = (rotation @ ((sprite[:3] + 1) / 2).reshape(3, -1)).reshape(sprite[:3].shape).clamp(0, 1) * 2 - 1
        rgb = torch.where(sprite[3:] > -1, rgb, sprite[:3])
        one = torch.cat([rgb, sprite[3:]])
        if float(torch.rand((), generator=generator)) < 0.5:
            one = one.flip(-1)
        out.append(one)
    return torch.stack(out)


class Classifier(nn.Module):
    """A small CNN over premultiplied RGBA sprites."""

    def __init__(self, classes: int, size: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(4, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, classes))

    def forward(self, rgba: torch.Tensor) -> torch.Tensor:
        return self.net(premultiply(rgba))


def train_classifier(images: torch.Tensor, labels: torch.Tensor, classes: int, steps: int, seed: int) -> Classifier:
    """Class-balanced minibatches, random flips and shifts of up to 4 pixels."""
    torch.manual_seed(seed)
    model = Classifier(classes, images.shape[-1])
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    weights = (1.0 / torch.bincount(labels, minlength=classes).float())[labels]
    for step in range(steps):
        pick = torch.multinomial(weights, 64, replacement=True)
        x = images[pick]
        x = torch.where(torch.rand(len(x), 1, 1, 1) < 0.5, x.flip(-1), x)
        dy, dx = (int(v) for v in torch.randint(-4, 5, (2,)))
        x = torch.roll(x, (dy, dx), dims=(-2, -1))
        loss = F.cross_entropy(model(x), labels[pick], label_smoothing=0.1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        for group in optimiser.param_groups:
            group["lr"] = 2e-3 * 0.5 * (1 + math.cos(math.pi * (step + 1) / steps))
    return model.eval()


@torch.no_grad()
def predict(model: Classifier, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([model(chunk).argmax(1) for chunk in images.split(256)])


def nearest(images: torch.Tensor, reference: torch.Tensor, channels: slice) -> torch.Tensor:
    """RMS distance (over premultiplied pixels of ``channels``) from each image to its nearest reference."""
    a = premultiply(images)[:, channels].flatten(1)
    b = premultiply(reference)[:, channels].flatten(1)
    return torch.cdist(a, b).min(1).values / math.sqrt(a.shape[1])


def mean_pairwise(images: torch.Tensor, channels: slice) -> float:
    """Mean RMS distance between two different real sprites."""
    a = premultiply(images)[:, channels].flatten(1)
    d = torch.cdist(a, a) / math.sqrt(a.shape[1])
    n = len(a)
    return float(d.sum() / (n * (n - 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="preset name (sprites.props) or run/preset folder")
    parser.add_argument("--data", required=True, help="training class view, e.g. runs/sprites_data/characters")
    parser.add_argument("--heldout", default=None, help="held-out class view (default: DATA_heldout)")
    parser.add_argument("-n", type=int, default=256, help="generated sprites per class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classifier-steps", type=int, default=600)
    parser.add_argument("--sheet", default=None, help="also write a contact sheet (.jpg on a checkerboard, .png RGBA)")
    parser.add_argument("--out", default=None, help="write the figures as JSON here too")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.time()

    model = artgan.load(args.model, device="cpu")
    binary = model.config.binary_alpha
    train = ClassSprites(args.data, model.config.image_size, binary)
    held = ClassSprites(args.heldout or args.data.rstrip("/") + "_heldout", model.config.image_size, binary)
    if train.names != model.labels or held.names != model.labels:
        raise SystemExit(f"classes differ: model {model.labels}, data {train.names}, held out {held.names}")
    train_x, train_y = torch.stack(train.sprites), torch.tensor(train.labels)
    held_x, held_y = torch.stack(held.sprites), torch.tensor(held.labels)
    K = len(model.labels)

    classifier = train_classifier(train_x, train_y, K, args.classifier_steps, args.seed)
    ceiling = float((predict(classifier, held_x) == held_y).float().mean())
    mirrored = torch.cat([train_x, train_x.flip(-1)])
    g = torch.Generator().manual_seed(args.seed)
    rgba, alpha = slice(0, 4), slice(3, 4)

    per_class, rows = {}, []
    for k, name in enumerate(model.labels):
        fake = model.run("generate", seed=args.seed + 100_000 * k, options={"n": args.n, "label": name}).pixels
        own_train, own_held = train.of_class(k), held.of_class(k)
        reference = own_held if len(own_held) >= MIN_HELDOUT else torch.cat([own_train, own_held])
        baseline = recolour(own_train[torch.randint(len(own_train), (args.n,), generator=g)], g)
        floor = own_train[torch.randint(len(own_train), (args.n,), generator=g)]

        def swd(x: torch.Tensor, channels: slice) -> float:
            return sliced_wasserstein(premultiply(x)[:, channels], premultiply(reference)[:, channels], seed=args.seed)["swd"]

        real_all = torch.cat([own_train, own_held])
        per_class[name] = {
            "train_sprites": len(own_train), "heldout_sprites": len(own_held),
            "swd_reference": "held-out" if reference is own_held else "all real (held-out too few)",
            "swd_rgba": {"model": swd(fake, rgba), "baseline_recolour_mirror": swd(baseline, rgba), "real_train": swd(floor, rgba)},
            "swd_alpha": {"model": swd(fake, alpha), "baseline_recolour_mirror": swd(baseline, alpha), "real_train": swd(floor, alpha)},
            "classifier_asked_class": float((predict(classifier, fake) == k).float().mean()),
            "classifier_heldout_real": float((predict(classifier, own_held) == k).float().mean()),
            "novelty_rgba": {"model_nn": float(nearest(fake, mirrored, rgba).mean()),
                             "baseline_nn": float(nearest(baseline, mirrored, rgba).mean()),
                             "heldout_real_nn": float(nearest(own_held, mirrored, rgba).mean()),
                             "real_pairwise_mean": mean_pairwise(real_all, rgba)},
            "novelty_alpha": {"model_nn": float(nearest(fake, mirrored, alpha).mean()),
                              "baseline_nn": float(nearest(baseline, mirrored, alpha).mean()),
                              "heldout_real_nn": float(nearest(own_held, mirrored, alpha).mean()),
                              "real_pairwise_mean": mean_pairwise(real_all, alpha)},
            "semi_transparent": {"model": semi_transparent(fake), "real": semi_transparent(real_all)},
        }
        rows.append(model.run("generate", seed=args.seed + k, options={"n": 16, "label": name, "scale": 3}))

    same, change, across = True, [], []
    for seed in range(16):
        variants = model.run("generate", seed=args.seed + seed, options={"n": 8, "vary": "colour", "alpha": "soft"}).pixels
        others = model.run("generate", seed=args.seed + 1000 + seed, options={"n": 8, "label": 0, "alpha": "soft"}).pixels
        same = same and all(torch.equal(v[3], variants[0, 3]) for v in variants)
        for group, into in ((variants, change), (others, across)):
            diff = (group[1:, :3] - group[:1, :3]).abs().mean(1) / 2  # per pixel, in [0, 1] units
            both = (group[1:, 3] > 0) & (group[:1, 3] > 0)  # pixels opaque in both sprites
            if both.any():
                into.append(float(diff[both].mean()))
    vary = {"alpha_identical": same, "colour_change_between_variants": sum(change) / max(1, len(change)),
            "colour_change_between_seeds": sum(across) / max(1, len(across))}

    figures = {"model": args.model, "vary_colour": vary, "n_per_class": args.n, "seed": args.seed, "classifier_steps": args.classifier_steps,
               "classifier_heldout_accuracy": ceiling, "classes": per_class, "wall_s": round(time.time() - started, 1)}
    text = json.dumps(figures, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print("\n| class | SWD rgba model / baseline / real | SWD alpha model / baseline / real | classifier: asked class "
          "(held-out real) | NN rgba model / baseline / held-out real / pairwise | NN alpha model / baseline / held-out real"
          " | semi-transparent model / real |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, c in per_class.items():
        s, a, nr, na, st = c["swd_rgba"], c["swd_alpha"], c["novelty_rgba"], c["novelty_alpha"], c["semi_transparent"]
        print(f"| {name} | {s['model']:.0f} / {s['baseline_recolour_mirror']:.0f} / {s['real_train']:.0f} | "
              f"{a['model']:.0f} / {a['baseline_recolour_mirror']:.0f} / {a['real_train']:.0f} | "
              f"{c['classifier_asked_class']:.0%} ({c['classifier_heldout_real']:.0%}) | "
              f"{nr['model_nn']:.3f} / {nr['baseline_nn']:.3f} / {nr['heldout_real_nn']:.3f} / {nr['real_pairwise_mean']:.3f} | "
              f"{na['model_nn']:.3f} / {na['baseline_nn']:.3f} / {na['heldout_real_nn']:.3f} | "
              f"{st['model']:.2%} / {st['real']:.2%} |")
    print(f"\nclassifier accuracy on all held-out real sprites (ceiling): {ceiling:.1%}")
    print(f"--vary colour: alpha identical {vary['alpha_identical']}; mean colour change "
          f"{vary['colour_change_between_variants']:.3f} between variants, {vary['colour_change_between_seeds']:.3f} between seeds")
    if args.sheet:
        pixels = torch.cat([r.pixels for r in rows])
        sheet = Sprites(pixels, columns=16, padding=3, names=[f"{i:04d}" for i in range(len(pixels))],
                        classes=sum((r.classes for r in rows), []), seeds=sum((r.seeds for r in rows), []))
        artgan.write(sheet, args.sheet, overwrite=True)


if __name__ == "__main__":
    main()
