"""``pattern``: conditional, tileable textures and canvases of any size.

A fully convolutional generator driven by a spatial noise field, a global latent and a
class label (see :mod:`artgan_pattern.model`), trained on random crops of a folder of
class folders. It makes any output size from the same weights; ``tileable=True`` switches
its convolutions to circular padding so the picture wraps around seamlessly.

The ``generate`` verb takes ``size`` (pixels: ``1024``, ``"1920x1080"`` or ``(width, height)``;
default 256), ``tileable`` (sizes must then be multiples of 16), a ``label`` or a ``mix`` of
classes, and ``interpolate`` (a second seed to slide to, over ``frames`` pictures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgan.config import option
from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Preset, Verb

PRESETS_DIR = Path(__file__).parent / "presets"
DEFAULT_SIZE = 256  # output side when no size is asked for


def parse_size(value: Any) -> tuple[int, int] | None:
    """``1024``, ``"1024"``, ``"1920x1080"`` or ``(1920, 1080)`` → ``(width, height)``."""
    from artgan.errors import ArtganError

    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        parts = [value]
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        try:
            parts = [int(p) for p in str(value).lower().replace("×", "x").split("x")]
        except ValueError:
            parts = []
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        raise ArtganError(f"size {value!r}: give pixels as 1024 or WIDTHxHEIGHT")
    return parts[0], parts[1]


def _label(value: Any) -> Any:
    """A class name or index for every image, or a list with one per image (checked on use)."""
    return value


def _mix(value: Any) -> Any:
    from artgan.labels import parse_mix

    return parse_mix(value)


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    n: int = option(1, "How many images (more than one: a grid, or one file each in a folder).", flag="-n")
    label: Any = option(None, "Class name or index (default: a random class per image).", parse=_label)
    mix: Any = option(None, "Blend classes, e.g. wood:0.5,stone:0.5.", parse=_mix)
    size: Any = option(None, f"Output size in pixels, 1024 or WIDTHxHEIGHT (default {DEFAULT_SIZE}).", parse=parse_size)
    tileable: bool = option(False, "Make images that wrap around seamlessly (sizes: multiples of 16).")
    interpolate: int | None = option(None, "Slide from --seed to this seed: a strip (.png), a .gif, or frames.")
    frames: int = option(8, "Frames of --interpolate.")
    batch_size: int = option(64, "Images per forward pass (memory, not the result).")


def _output_size(config: Any, options: GenerateOptions, inputs: Any) -> tuple[int, int]:
    width, height = options.size or (DEFAULT_SIZE, DEFAULT_SIZE)
    return height, width


@dataclass
class PatternConfig:
    """Settings of the pattern GAN; the defaults are the shipped models' architecture."""

    labels: tuple[str, ...] = ()  # class names, filled in from the training data
    local_channels: int = 16  # channels of the spatial noise field (1/16 of the output size)
    global_channels: int = 32  # length of the global latent
    embed: int = 32  # size of the class embedding fed to every normalisation layer
    widths: tuple[int, ...] = (128, 128, 64, 32, 16)  # generator channels from the field up; 4 ×2 stages
    d_widths: tuple[int, ...] = (32, 64, 128, 256)  # discriminator channels, one stride-2 stage each
    crop: int = 64  # side of the random training crops
    max_side: int = 256  # training images are shrunk to at most this shorter side
    jitter: float = 0.25  # random rescaling of each crop's source, ± this fraction
    lr_g: float = 1e-4  # generator Adam learning rate (two time-scale rule, Heusel et al. 2017)
    lr_d: float = 4e-4  # discriminator Adam learning rate


class PatternPlugin(Plugin):
    """Textures and canvases by class, any size, optionally tileable."""

    name = "pattern"
    Config = PatternConfig
    roles = ("G", "D")
    inference_roles = ("G",)
    augment_roles = ("D",)
    inference_precision = "bf16"
    # Measured on 2 CPU cores: bf16 in NCHW trains fastest; bf16 with channels-last was the
    # slowest combination for these small-channel convolutions, so it stays off.
    train_defaults = {
        "steps": 5_000,  # about 45 minutes on two CPU cores
        "batch_size": 16,
        "precision": "bf16",
        "augment": "translation",
        "ema_half_life_kimg": 10.0,
        "sample_every": 500,
        "checkpoint_every": 500,
        "log_every": 25,
    }
    presets = (
        Preset(
            tag="textures",
            task="generate",
            path=PRESETS_DIR / "textures",
            sha256="c36c5f35a0086b28052dc63d5fe1edce1a0fea3301671b3e21cfb6228fdb7629",
            licence="BSD-3-Clause (trained mostly on Freedoom textures; credit the Freedoom contributors)",
            description="tileable textures, any size: brick, liquid, metal, paper, rock, wood",
        ),
        Preset(
            tag="canvas",
            task="generate",
            path=PRESETS_DIR / "canvas",
            sha256="f38365341d4d761fafbaa75c1568f65df2822cb33c91631626fdbb1c534d14b4",
            licence="CC0-1.0 (trained on public-domain paintings)",
            description="abstract canvases, any size, in the manner of cezanne, monet, ukiyoe, vangogh",
        ),
    )

    def tiny_config(self) -> PatternConfig:
        return PatternConfig(local_channels=2, global_channels=2, embed=2, widths=(8, 8, 4), d_widths=(4, 8), crop=16, max_side=32)

    def adapt_config(self, config: PatternConfig, dataset: Any) -> PatternConfig:
        return replace(config, labels=tuple(dataset.names))

    def label_names(self, config: PatternConfig) -> list[str]:
        return list(config.labels)

    def phases(self, config: PatternConfig) -> list[Phase]:
        return [
            Phase("D", trains=("D",), lr=config.lr_d, betas=(0.0, 0.999)),
            Phase("G", trains=("G",), lr=config.lr_g, betas=(0.0, 0.999)),
        ]

    def build(self, config: PatternConfig) -> dict[str, Any]:
        from artgan_pattern.model import PatternGenerator, ProjectionDiscriminator

        classes = max(1, len(config.labels))
        return {
            "G": PatternGenerator(classes, config.local_channels, config.global_channels, config.embed, config.widths),
            "D": ProjectionDiscriminator(classes, config.d_widths),
        }

    def dataset(self, source: Any, config: PatternConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_pattern.data import ClassTextures

        if not isinstance(source, str):
            raise ArtganError("pattern trains on one folder (of class folders): give --data")
        return ClassTextures(source, config.crop, config.max_side, config.jitter)

    def loss(self, phase: str, nets: Any, batch: Any, config: PatternConfig) -> tuple[Any, dict[str, Any]]:
        import torch
        import torch.nn.functional as F

        from artgan.engine.losses import d_hinge, g_hinge

        real, classes = batch
        labels = F.one_hot(classes, max(1, len(config.labels))).float()
        G, D = nets["G"], nets["D"]
        latents = self._latents(G, real.shape[0], real.shape[-2] // G.factor, real.shape[-1] // G.factor, None, real.device)
        if phase == "D":
            with torch.no_grad():
                fake = G(latents, labels)
            real_score, fake_score = D(real, labels), D(fake, labels)
            return d_hinge(real_score, fake_score), {"real_score": real_score.detach().float().mean(), "fake_score": fake_score.detach().float().mean()}
        return g_hinge(D(G(latents, labels), labels)), {}

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """Per class, SWD×1000 against ``n`` real training-style crops of that class, for
        the model at the crop size, 64 px crops of its 4× larger outputs (any size holds
        up), tinted Perlin noise (the baseline to beat) and other real crops (the floor)."""
        import torch

        from artgan.metrics import sliced_wasserstein
        from artgan_pattern.baseline import tinted_noise

        dataset = self.dataset(source, model.config)
        crop, classes = model.config.crop, len(dataset.names)
        if dataset.names != model.labels:
            from artgan.errors import ArtganError

            raise ArtganError(f"the data's classes {dataset.names} are not the model's {model.labels}")

        def crops(label: int, data_seed: int) -> torch.Tensor:
            with torch.random.fork_rng():
                torch.manual_seed(data_seed)
                return torch.stack([dataset[label + classes * i][0] for i in range(n)])

        generator = torch.Generator().manual_seed(seed)
        per_class = {}
        for label, name in enumerate(dataset.names):
            real = crops(label, seed + 1)
            large = model.run("generate", seed=seed + label, options={"n": max(1, n // 16), "label": name, "size": 4 * crop}).pixels
            pieces = large.unfold(2, crop, crop).unfold(3, crop, crop).permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, crop, crop)
            candidates = {
                "model": model.run("generate", seed=seed + label, options={"n": n, "label": name, "size": crop}).pixels,
                "model_large_crops": pieces,
                "baseline_perlin": tinted_noise(real, n, generator),
                "real_floor": crops(label, seed + 2),
            }
            per_class[name] = {k: sliced_wasserstein(v, real, seed=seed)["swd"] for k, v in candidates.items()}
        means = {k: sum(c[k] for c in per_class.values()) / len(per_class) for k in next(iter(per_class.values()))}
        return {"metric": "sliced_wasserstein_x1e3", "n": n, "seed": seed, "mean": means, "classes": per_class}

    # ------------------------------------------------------------------ inference
    @property
    def verbs(self) -> tuple[Verb, ...]:
        return (Verb("generate", self.generate, GenerateOptions, Images, channels=(3,), size=_output_size,
                     help="Textures or canvases of any size, by class or a mix, optionally tileable."),)

    def generate(self, model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Images:
        """``options.n`` pictures, or ``options.frames`` sliding to the seed ``options.interpolate``."""
        import torch

        from artgan.errors import ArtganError
        from artgan.inference import in_batches
        from artgan.inference.latents import latent_path
        from artgan.labels import choose_labels
        from artgan.metrics.seams import seam_ratio

        if options.batch_size < 1:
            raise ArtganError("batch_size must be at least 1")
        G, names = model.nets["G"], model.labels
        height, width, (out_h, out_w) = self._field(G, options.size, options.tileable)
        if options.interpolate is None:
            labels = choose_labels(names, options.n, generator, label=options.label, mix=options.mix)

            def batch(start: int, count: int) -> torch.Tensor:
                chunk = None if labels is None else labels[start : start + count]
                latents = self._latents(G, count, height, width, generator, model.device)
                with model.autocast():
                    return self._render(G, latents, chunk, count, options.tileable)

            pixels = in_batches(options.n, options.batch_size, batch)
        else:
            if options.frames < 2:
                raise ArtganError("interpolation needs at least 2 frames")
            start = generator.get_state()
            ends = [self._latents(G, 1, height, width, generator, model.device),
                    self._latents(G, 1, height, width, torch.Generator().manual_seed(options.interpolate), model.device)]
            labels = choose_labels(names, 1, torch.Generator().set_state(start), label=options.label, mix=options.mix)
            frames = []
            for done, latents in enumerate(latent_path(ends[0], ends[1], options.frames), 1):
                with model.autocast():
                    frames.append(self._render(G, latents, labels, 1, options.tileable).float().cpu())
                model.progress(done, options.frames)
            pixels = torch.cat(frames)
        pixels = pixels[..., :out_h, :out_w]
        report = {"seam": seam_ratio(pixels)} if options.tileable else {}
        return Images(pixels, sequence=options.interpolate is not None, padding=0 if options.tileable else 2, report=report)

    def _render(self, G: Any, latents: Any, labels: Any, n: int, tileable: bool) -> Any:
        """``G`` on given latents for class indices ``(n,)``, class weights ``(n, K)`` or None (all classes evenly)."""
        import torch
        import torch.nn.functional as F

        from artgan.nn import set_padding

        device = next(G.parameters()).device
        classes = G.embed.in_features
        if labels is None:
            weights = torch.full((n, classes), 1.0 / classes)
        elif labels.dtype == torch.long:
            weights = F.one_hot(labels.cpu(), classes).float()
        else:
            weights = labels.float().cpu()
        set_padding(G, "circular" if tileable else "reflect")
        try:
            return G(latents, weights.to(device))
        finally:
            set_padding(G, "reflect")

    def _field(self, G: Any, size: Any, tileable: bool) -> tuple[int, int, tuple[int, int]]:
        """Noise-field size for an output ``size`` (int or (width, height)), and the output size."""
        from artgan.errors import ArtganError

        width, height = (size, size) if isinstance(size, int) else (size or (DEFAULT_SIZE, DEFAULT_SIZE))
        if min(width, height) < 1 or max(width, height) > 16384:
            raise ArtganError(f"size must be within 1..16384 pixels, got {width}×{height}")
        f = G.factor
        if tileable and (width % f or height % f or min(width, height) < 2 * f):
            raise ArtganError(f"a tileable size must be a multiple of {f} and at least {2 * f}, e.g. {max(2 * f, round(width / f) * f)}")
        return max(2, math.ceil(height / f)), max(2, math.ceil(width / f)), (height, width)

    @staticmethod
    def _latents(G: Any, n: int, height: int, width: int, generator: Any, device: Any) -> dict[str, list[Any]]:
        import torch

        shapes = G.latent_shapes(height, width)
        return {
            key: [torch.randn(n, *shape, generator=generator).to(device) if generator is not None
                  else torch.randn(n, *shape, device=device) for shape in group]
            for key, group in shapes.items()
        }

    def preview(self, nets: Any, config: PatternConfig, batch: Any, generator: Any) -> Any:
        import torch

        G = nets["G"]
        labels = torch.arange(16) % max(1, len(config.labels))
        height, width, _ = self._field(G, 4 * config.crop // 2, False)
        latents = self._latents(G, 16, height, width, generator, next(G.parameters()).device)
        return self._render(G, latents, labels, 16, False)

    def test_source(self, directory: Path, config: PatternConfig) -> str:
        from artgan.images import write_random_images

        for index, name in enumerate(("stripes", "dots")):
            write_random_images(Path(directory) / "textures" / name, count=3, size=(40, 40), seed=index)
        return str(Path(directory) / "textures")


plugin = PatternPlugin()
