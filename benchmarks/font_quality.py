"""Quality of a ``font`` model on font families it never saw, for its model card.

    python benchmarks/font_quality.py --model runs/font-latin \\
        --train runs/font_data/train --heldout runs/font_data/heldout [--sheet samples/font_completion.png]

The data split is by **family** (every weight and style of a family on one side). Figures:

(a) **Recognisability**: a small CNN trained from scratch here on the training families'
    real glyphs (never used to train or tune the generator) labels glyphs. Its accuracy on
    the held-out families' real glyphs is the ceiling; the target is ≥ 95 % for glyphs of
    ``generate``d fonts (random styles) and of few-shot completions (4 and 8 references).
(b) **Few-shot style**: for each held-out font, its real glyphs of ``ABab`` (4 references)
    or ``ABHabego`` (8) go to the style fit (encoder, latent optimisation and generator
    tuning, as ``font complete`` does, on references already on the em box) and every other
    character is compared with the real one: L1 (coverage in [0, 1]), SSIM, IoU of the ink
    (≥ 0.5); ``model_latent_only`` is the same without the generator tuning.
    Baselines: the training font nearest (L1) to the references, and a fixed source font
    (the first training font, in file order, that has every character).
(c) **Round trip**: generated glyphs → OTF and TTF files → outlines read back from the
    files and sampled at pixel centres (no hinting) → IoU of the ink against the generated
    rasters (≥ 0.5); also through Pillow/FreeType (hinted, antialiased, ≥ 0.5 coverage).
    Every file also goes through the OpenType sanitizer when ``ots`` is installed.
(d) **Novelty**: for generated fonts, L1 to the nearest training font (mean over the
    characters both have), beside the same for each training font's nearest font of
    another family.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

REFS4, REFS8 = "ABab", "ABHabego"


def classifier(classes: int) -> nn.Module:
    """The judge of (a): five 3×3 convolutions with batch norm (four of stride 2) and a linear layer on 64 px glyphs."""
    layers: list[nn.Module] = []
    for a, b, stride in ((1, 32, 2), (32, 64, 2), (64, 128, 1), (128, 128, 2), (128, 256, 2)):
        layers += [nn.Conv2d(a, b, 3, stride=stride, padding=1), nn.BatchNorm2d(b), nn.ReLU()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(256 * 4, classes))


def jitter(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Real glyphs as other fonts might draw them: shifted ±3 px, scaled ±8 %, strokes one pixel
    bolder or thinner (a 3×3 max/min filter) for a third of the batch each. ``x`` is N×1×R×R in [0, 1]."""
    n = len(x)
    scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * 0.08
    shift = (torch.randint(-3, 4, (n, 2), generator=generator).float() * 2 / x.shape[-1])
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    weight = torch.randint(0, 3, (n,), generator=generator)
    bolder = F.max_pool2d(x, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-x, 3, stride=1, padding=1)
    return torch.where((weight == 1)[:, None, None, None], bolder, torch.where((weight == 2)[:, None, None, None], thinner, x))


def train_classifier(data, epochs: int, cache: Path) -> nn.Module:
    """Train (or load from ``cache``) the judge on every real training glyph, jittered (:func:`jitter`)."""
    net = classifier(len(data.names))
    if cache.exists():
        net.load_state_dict(torch.load(cache, weights_only=True))
        return net.eval()
    items = data.present.nonzero()
    images = data.glyphs[items[:, 0], items[:, 1]].float().div(255).unsqueeze(1)
    labels = items[:, 1]
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    batches = epochs * -(-len(images) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=batches)
    for epoch in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), 128):
            index = order[start : start + 128]
            loss = F.cross_entropy(net(jitter(images[index], generator) * 2 - 1), labels[index], label_smoothing=0.1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"classifier epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}", file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), cache)
    return net.eval()


@torch.no_grad()
def readings(net: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The label the judge gives each of ``images`` (N×1×R×R coverage in [0, 1])."""
    if not len(images):
        return torch.zeros(0, dtype=torch.long)
    return torch.cat([net(images[i : i + 256] * 2 - 1).argmax(1) for i in range(0, len(images), 256)])


def accuracy(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` (N×1×R×R coverage in [0, 1]) the judge labels as ``labels``."""
    return int((readings(net, images) == labels).sum()) / max(1, len(images))


def misread(read: torch.Tensor, labels: torch.Tensor, chars: str, top: int = 12) -> dict[str, str]:
    """The ``top`` characters the judge misreads most often (``read``: its :func:`readings`),
    each as "hits/total, read as X Y"."""
    worst = {}
    for c in sorted(set(labels.tolist()), key=lambda c: float((read[labels == c] == c).float().mean()))[:top]:
        wrong = read[(labels == c) & (read != c)].tolist()
        if wrong:
            common = "".join(chars[w] for w, _ in Counter(wrong).most_common(3))
            worst[chars[c]] = f"{int((read[labels == c] == c).sum())}/{int((labels == c).sum())}, read as {common}"
    return worst


def coverage_of(data, font: int) -> dict[str, torch.Tensor]:
    """A dataset font's glyphs as ``{char: R×R coverage}``."""
    return {c: data.glyphs[font, i].float() / 255 for i, c in enumerate(data.names) if data.present[font, i]}


def compare(pred: dict[str, torch.Tensor], truth: dict[str, torch.Tensor], chars: list[str]) -> dict[str, float]:
    """Mean L1, SSIM and ink IoU of ``pred`` against ``truth`` over ``chars``."""
    from artgan.metrics.ssim import ssim

    a = torch.stack([pred[c] for c in chars])[:, None]
    b = torch.stack([truth[c] for c in chars])[:, None]
    inter = ((a >= 0.5) & (b >= 0.5)).flatten(1).sum(1).float()
    union = ((a >= 0.5) | (b >= 0.5)).flatten(1).sum(1).float().clamp(min=1)
    return {"l1": float((a - b).abs().mean()), "ssim": float(ssim(a * 2 - 1, b * 2 - 1).mean()), "iou": float((inter / union).mean())}


def novelty(train, generated: list, chars: str) -> tuple[list[float], list[float]]:
    """(d): each generated font's L1 to its nearest training font, and each training font's to its
    nearest font of another family (means over the characters both have)."""
    glyphs = train.glyphs.float().div(255).flatten(2)  # F×C×P
    present = train.present.float()
    gen = torch.stack([torch.stack([g[c] for c in chars]) for g in generated]).flatten(2)  # G×C×P

    def distances(a: torch.Tensor, a_present: torch.Tensor) -> torch.Tensor:
        total = torch.zeros(a.shape[0], glyphs.shape[0])
        for c in range(len(chars)):
            total += torch.cdist(a[:, c], glyphs[:, c], p=1) / glyphs.shape[2] * a_present[:, c, None] * present[None, :, c]
        shared = a_present @ present.T
        return total / shared.clamp(min=1)

    to_train = distances(gen, torch.ones(gen.shape[0], len(chars)))
    among = distances(glyphs, present)
    families = np.array(train.families)
    among[torch.from_numpy(families[:, None] == families[None, :])] = float("inf")
    return to_train.min(dim=1).values.tolist(), among.min(dim=1).values.tolist()


def few_shot(model, train, heldout, refs: str, source: int, steps: int, tune: int) -> tuple[dict[str, dict[str, float]], list]:
    """(b): the model's completion, the nearest training font, and the fixed source font, per held-out font;
    also the completed glyphs ``[(char, raster)]`` of the characters that were not references, for (a)."""
    from artgan_font.complete import draw_glyphs, fit_style, tune_generator

    scores: dict[str, list[dict[str, float]]] = {"model": [], "model_latent_only": [], "nearest_training_font": [],
                                                 "fixed_source_font": []}
    completed = []
    train_fonts = [coverage_of(train, f) for f in range(len(train.files))]
    for font in range(len(heldout.files)):
        truth = coverage_of(heldout, font)
        if not all(c in truth for c in refs):
            continue
        targets = [c for c in truth if c not in refs]
        ref_images = torch.stack([truth[c] for c in refs])[:, None] * 2 - 1
        z, _ = fit_style(model, ref_images, refs, steps, torch.Generator().manual_seed(0))
        scores["model_latent_only"].append(compare(draw_glyphs(model, z, "".join(truth)), truth, targets))
        tuned = tune_generator(model, z, ref_images, refs, tune) if tune else None
        made = draw_glyphs(model, z, "".join(truth), tuned)
        completed += [(c, made[c]) for c in targets]
        scores["model"].append(compare(made, truth, targets))
        candidates = [f for f, g in enumerate(train_fonts) if all(c in g for c in refs) and all(c in g for c in targets)]
        nearest = min(candidates, key=lambda f: float(sum((train_fonts[f][c] - truth[c]).abs().mean() for c in refs)))
        scores["nearest_training_font"].append(compare(train_fonts[nearest], truth, targets))
        scores["fixed_source_font"].append(compare(train_fonts[source], truth, targets))
    means = {k: {m: float(np.mean([s[m] for s in v])) for m in ("l1", "ssim", "iou")} | {"fonts": len(v)} for k, v in scores.items()}
    return means, completed


def round_trip(glyph_sets: list) -> dict[str, float]:
    """(c): IoU of outlines read back from the written OTF/TTF files against the generated rasters."""
    from artgan_font.fontfile import build_font
    from artgan_font.preview import load_font, outline_coverage, render_glyph

    try:
        import ots
    except ImportError:
        ots = None
    out: dict[str, list[float]] = {"otf_outline": [], "ttf_outline": [], "otf_pillow": [], "ttf_pillow": []}
    sanitized = []
    with tempfile.TemporaryDirectory() as folder:
        for index, glyph_set in enumerate(glyph_sets):
            for fmt in ("otf", "ttf"):
                built = build_font(glyph_set, fmt)
                path = Path(folder) / f"f{index}.{fmt}"
                path.write_bytes(built.data)
                if ots is not None:
                    sanitized.append(ots.sanitize(str(path), str(path) + ".ots", capture_output=True).returncode == 0)
                pillow = load_font(path, 64)
                for char, raster in glyph_set.glyphs.items():
                    size = raster.shape[0]
                    truth = raster.numpy() >= 0.5
                    # the outline sampled at pixel centres, as the raster samples the glyph (odd supersampling)
                    for how, got in (("outline", outline_coverage(path, char, size, built.origins[char], 5, centres=True)),
                                     ("pillow", render_glyph(pillow, char, size, built.origins[char]))):
                        got = got >= 0.5
                        out[f"{fmt}_{how}"].append(float((got & truth).sum() / max(1, (got | truth).sum())))
    result = {f"{k}_iou_mean": float(np.mean(v)) for k, v in out.items()} | {f"{k}_iou_min": float(np.min(v)) for k, v in out.items()}
    result["ots_passed"] = f"{sum(sanitized)}/{len(sanitized)}" if ots is not None else "ots not installed"
    return result


def contact_sheet(model, heldout, families: list[int], steps: int, tune: int, path: Path, text_font: Path | None) -> None:
    """References → completed alphabet (and the real one beneath) for a few held-out fonts, and a line of text."""
    from PIL import Image, ImageDraw

    from artgan.files import write_files
    from artgan.images import encode_image
    from artgan_font.complete import draw_glyphs, fit_style, tune_generator
    from artgan_font.preview import render_text
    from artgan_font.sheet import glyph_image

    cell, alphabet = 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789&?!"
    width = cell * (len(alphabet) + 5)

    def strip(glyphs: dict, first: dict, label: str) -> Image.Image:
        """A caption line, then ``first`` (the references) in cells 0–3 and the alphabet from cell 5."""
        row = Image.new("L", (width, cell + 14), 255)
        draw = ImageDraw.Draw(row)
        draw.text((2, 1), label, fill=0)
        for i, c in enumerate(first):
            row.paste(glyph_image(first[c]).resize((cell, cell)), (i * cell, 14))
        if first:
            draw.text((4 * cell + 14, 14 + cell // 2 - 6), "->", fill=0)
        for i, c in enumerate(alphabet):
            if c in glyphs:
                row.paste(glyph_image(glyphs[c]).resize((cell, cell)), ((i + 5) * cell, 14))
        return row

    rows = []
    for font in families:
        truth = coverage_of(heldout, font)
        refs = torch.stack([truth[c] for c in REFS4])[:, None] * 2 - 1
        z, _ = fit_style(model, refs, REFS4, steps, torch.Generator().manual_seed(0))
        made = draw_glyphs(model, z, alphabet, tune_generator(model, z, refs, REFS4, tune) if tune else None)
        name = Path(heldout.files[font]).stem
        rows.append(strip(made, {c: truth[c] for c in REFS4}, f"{name} (held-out family): references ABab -> completed by the model"))
        rows.append(strip(truth, {}, f"{name}: the real glyphs, for comparison"))
    if text_font is not None:
        rows.append(render_text(text_font, "Sphinx of black quartz, judge my vow! 0123456789", size=48))
    width = max(r.width for r in rows)
    sheet = Image.new("L", (width, sum(r.height for r in rows)), 255)
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.height
    write_files({path: encode_image(sheet, path.suffix)}, overwrite=True)


def main() -> None:
    from artgan_font import TUNE_STEPS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--train", required=True, help="folder of the training families' font files")
    parser.add_argument("--heldout", required=True, help="folder of the held-out families' font files")
    parser.add_argument("--fonts", type=int, default=20, help="generated fonts for (a), (c), (d)")
    parser.add_argument("--steps", type=int, default=100, help="latent optimisation steps of the style fit")
    parser.add_argument("--tune", type=int, default=TUNE_STEPS, help="generator tuning steps of the few-shot fit (as font complete)")
    parser.add_argument("--epochs", type=int, default=6, help="classifier epochs")
    parser.add_argument("--classifier", default="runs/font_judge.pt", help="cache of the judge's weights")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seed of the first generated font (another range checks a checkpoint picked on seeds 0–19)")
    parser.add_argument("--temperature", type=float, default=None,
                        help="style spread of the generated fonts (default: generate's own)")
    parser.add_argument("--no-few-shot", action="store_true",
                        help="skip (b) and the completed glyphs' (a), the slow part: for a curve over checkpoints")
    parser.add_argument("--sheet", type=Path, default=None, help="write a contact sheet of completions here")
    parser.add_argument("--text-font", type=Path, default=None, help="font file set as a line of text on the sheet")
    args = parser.parse_args()
    torch.manual_seed(0)
    start = time.time()
    from artgan.api import load
    from artgan_font.data import FontGlyphs
    from artgan_font.outputs import GlyphSet

    model = load(args.model, device="cpu")
    chars = "".join(model.labels)
    train = FontGlyphs(args.train, chars, model.config.resolution, 1)
    heldout = FontGlyphs(args.heldout, chars, model.config.resolution, 1)
    judge = train_classifier(train, args.epochs, Path(args.classifier))
    real_items = heldout.present.nonzero()
    real = heldout.glyphs[real_items[:, 0], real_items[:, 1]].float().div(255).unsqueeze(1)
    result: dict = {"model": args.model, "train_fonts": len(train.files), "train_families": len(set(train.families)),
                    "heldout_fonts": len(heldout.files), "heldout_families": sorted(set(heldout.families))}
    result["a_classifier_on_heldout_real"] = accuracy(judge, real, real_items[:, 1])
    generated = []
    for seed in range(args.first_seed, args.first_seed + args.fonts):
        output = model.run("generate", seed=seed, options={} if args.temperature is None
                           else {"temperature": args.temperature})
        generated.append(output)
    gen_images = torch.stack([g for o in generated for g in o.glyphs.values()])[:, None]
    gen_labels = torch.tensor([chars.index(c) for o in generated for c in o.glyphs])
    gen_read = readings(judge, gen_images)
    result["a_classifier_on_generated"] = int((gen_read == gen_labels).sum()) / max(1, len(gen_labels))
    result["a_generated_misread"] = misread(gen_read, gen_labels, chars)
    result["a_generated_seeds"] = [args.first_seed, args.first_seed + args.fonts - 1]
    result["a_generated_temperature"] = generated[0].metadata["temperature"]
    source = next(f for f in range(len(train.files)) if bool(train.present[f].all()))
    result["b_fixed_source_font"] = Path(train.files[source]).name
    for refs in () if args.no_few_shot else (REFS4, REFS8):
        result[f"b_few_shot_{len(refs)}refs"], completed = few_shot(model, train, heldout, refs, source, args.steps, args.tune)
        print(json.dumps(result[f"b_few_shot_{len(refs)}refs"]), file=sys.stderr)
        result[f"a_classifier_on_completed_{len(refs)}refs"] = accuracy(
            judge, torch.stack([g for _, g in completed])[:, None], torch.tensor([chars.index(c) for c, _ in completed]))
    result["c_round_trip"] = round_trip([GlyphSet(dict(o.glyphs)) for o in generated[:5]])
    gen_nn, real_nn = novelty(train, [o.glyphs for o in generated], chars)
    result["d_novelty"] = {"generated_to_nearest_training_font_l1_median": float(np.median(gen_nn)),
                           "generated_to_nearest_training_font_l1_min": float(np.min(gen_nn)),
                           "training_font_to_nearest_other_family_l1_median": float(np.median(real_nn)),
                           "training_font_to_nearest_other_family_l1_min": float(np.min(real_nn)),
                           "share_of_generated_farther_than_that_median": float(np.mean(np.array(gen_nn) > np.median(real_nn)))}
    print(json.dumps(result, indent=2), flush=True)
    if args.sheet is not None:
        regular: dict[str, int] = {}
        for f in range(len(heldout.files)):  # one font per family, its Regular where there is one
            if not all(heldout.present[f, chars.index(c)] for c in REFS4):
                continue
            if heldout.families[f] not in regular or "Regular" in Path(heldout.files[f]).stem:
                regular.setdefault(heldout.families[f], f)
                if "Regular" in Path(heldout.files[f]).stem:
                    regular[heldout.families[f]] = f
        wanted = [n for n in ("Comic Neue", "EB Garamond", "Purisa", "Charis SIL", "Go") if n in regular]
        picks = [regular[n] for n in wanted] or sorted(regular.values())[:5]
        contact_sheet(model, heldout, picks, args.steps, args.tune, args.sheet, args.text_font)
    print(f"{time.time() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
