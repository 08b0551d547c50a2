"""The ``generate`` verb: sprites by class, one seed each, with the pixel-art steps.

Sprite ``i`` of a run with ``--seed S`` is made from its own seed ``S + i``: its class (when
none is asked for) and both latents are drawn from a generator seeded with it, so
``--seed S+i -n 1`` remakes that one sprite alone, and the atlas records each sprite's seed.
``--vary colour`` keeps sprite 0's class and shape latent for every sprite and draws only the
colour latent from ``S + i``: the alpha head never sees the colour latent, so every variant has
exactly the same silhouette. ``--vary shape`` is the reverse (same colour latent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from artgan.config import option
from artgan_sprites.formats import DEFAULT_ALPHA_SNAP

SEED_SPAN = 2**63  # per-sprite seeds wrap around within torch's seed range


def _label(value: Any) -> Any:
    """A class name or index for every sprite, or a list with one per sprite (checked on use)."""
    return value


def _mix(value: Any) -> Any:
    from artgan.labels import parse_mix

    return parse_mix(value)


def _palette(value: Any) -> Any:
    """``None``, a number of colours (2–256), or the path of a palette image."""
    from pathlib import Path

    from artgan.errors import ArtganError

    if value is None or (isinstance(value, str) and value.lower() in ("", "none")):
        return None
    if isinstance(value, bool):
        raise ArtganError("--palette takes a number of colours (2–256) or a palette image's path")
    text = str(value)
    if text.isdigit() or isinstance(value, int):
        count = int(text)
        if not 2 <= count <= 256:
            raise ArtganError(f"--palette {count}: give 2 to 256 colours, e.g. --palette 16")
        return count
    if not Path(text).is_file():
        raise ArtganError(f"--palette {text}: no such palette image; give a number of colours (e.g. 16) or an image path")
    return text


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    n: int = option(1, "How many sprites (several: a sheet .png with its atlas, or one PNG each in a folder).",
                    flag="-n", minimum=1, maximum=65_536)
    label: Any = option(None, "Class name or index (default: a random class per sprite).", parse=_label)
    mix: Any = option(None, "Blend classes, e.g. tree:0.5,rock:0.5.", parse=_mix)
    scale: int = option(1, "Upscale by this whole factor, nearest-neighbour (crisp pixel art).", minimum=1, maximum=64)
    palette: Any = option(None, "Quantise each sprite to this many colours (k-means), or to a palette image's colours.",
                          parse=_palette)
    alpha: Literal["auto", "binary", "soft"] = option("auto", "binary: fully on or off; soft: keep edges; "
                                                      "auto: what the model was trained on.")
    alpha_snap: int = option(DEFAULT_ALPHA_SNAP, "Soft alpha: 8-bit levels this close to fully off or on are snapped to it "
                             "(0: keep the model's raw alpha).", minimum=0, maximum=127)
    vary: Literal["none", "colour", "shape"] = option("none", "Variations of --seed's sprite: colour keeps its "
                                                      "silhouette, shape keeps its colour latent.")
    interpolate: int | None = option(None, "Slide from --seed's sprite to this seed's: a strip (.png) or a .gif.",
                                     minimum=0, maximum=2**63 - 1)
    frames: int = option(8, "Frames of --interpolate.", minimum=2, maximum=1024)
    padding: int = option(2, "Transparent pixels between sprites on a sheet (after --scale).", minimum=0, maximum=64)
    batch_size: int = option(256, "Sprites per forward pass (memory only: the sprites do not change).", minimum=1)


def _draws(G: Any, seed: int, classes: int) -> tuple[int, Any, Any]:
    """The class, shape latent and colour latent that ``seed`` draws, in that order."""
    import torch

    g = torch.Generator().manual_seed(seed % SEED_SPAN)
    cls = int(torch.randint(classes, (1,), generator=g))
    return cls, torch.randn(G.shape_dim, generator=g), torch.randn(G.colour_dim, generator=g)


def generate(model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Any:
    """``options.n`` sprites (or ``options.frames`` of an interpolation), post-processed and
    named, as :class:`~artgan_sprites.formats.Sprites`."""
    import torch
    import torch.nn.functional as F

    from artgan.errors import ArtganError
    from artgan.inference import in_batches
    from artgan.inference.latents import latent_path
    from artgan.labels import choose_labels
    from artgan_sprites.formats import (Sprites, binarise_alpha, palette_from_image, quantise, scale_nearest,
                                        snap_alpha)

    G, names = model.nets["G"], list(model.labels) or ["sprite"]
    K = G.classes
    base = generator.initial_seed()
    sliding = options.interpolate is not None
    if sliding and options.vary != "none":
        raise ArtganError("give --interpolate or --vary, not both")
    count = options.frames if sliding else options.n
    asked = None if options.label is None and options.mix is None else choose_labels(
        names, count, generator, label=options.label, mix=options.mix)
    palette = palette_from_image(options.palette) if isinstance(options.palette, str) else options.palette

    first = _draws(G, base, K)
    classes, shapes, colours, seeds = [], [], [], []
    if sliding:
        end = _draws(G, options.interpolate, K)
        for latents in latent_path({"s": [first[1]], "c": [first[2]]}, {"s": [end[1]], "c": [end[2]]}, count):
            classes.append(first[0])
            shapes.append(latents["s"][0])
            colours.append(latents["c"][0])
            seeds.append(base)
    else:
        for i in range(count):
            seed = (base + i) % SEED_SPAN
            cls, shape, colour = _draws(G, seed, K)
            if options.vary == "colour":
                cls, shape = first[0], first[1]
            elif options.vary == "shape":
                cls, colour = first[0], first[2]
            classes.append(cls)
            shapes.append(shape)
            colours.append(colour)
            seeds.append(seed)
    weights = F.one_hot(torch.tensor(classes), K).float()
    if asked is not None:
        weights = F.one_hot(asked, K).float() if asked.dtype == torch.long else asked
    shape_z, colour_z = torch.stack(shapes), torch.stack(colours)

    def batch(start: int, k: int) -> Any:
        with model.autocast():
            return G(shape_z[start : start + k].to(model.device), colour_z[start : start + k].to(model.device),
                     weights[start : start + k].to(model.device))

    pixels = in_batches(count, options.batch_size, batch).clamp(-1, 1)
    binary = options.alpha == "binary" or (options.alpha == "auto" and model.config.binary_alpha)
    pixels = binarise_alpha(pixels) if binary else snap_alpha(pixels, options.alpha_snap)
    if palette is not None:
        pixels = quantise(pixels, palette)
    if options.scale > 1:
        pixels = scale_nearest(pixels, options.scale)
    labels = ["mix" if (row > 0).sum() > 1 else names[int(row.argmax())] for row in weights]
    frame_names = [f"{i:04d}_{cls}" for i, cls in enumerate(labels)]
    report = {"classes": ",".join(sorted(set(labels)))}
    return Sprites(pixels, sequence=sliding, padding=options.padding, names=frame_names, classes=labels,
                   seeds=seeds, report=report)
