"""``pattern``: conditional, tileable textures and canvases of any size.

A fully convolutional generator driven by a spatial noise field, a global latent and a
class label (see :mod:`artgan_pattern.model`), trained on random crops of a folder of
class folders. It makes any output size from the same weights; ``tileable=True`` switches
its convolutions to circular padding so the picture wraps around seamlessly.

Generation options: ``size`` (pixels, an int or ``(width, height)``; default 256) and
``tileable`` (sizes must then be multiples of 16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgan.plugin import Phase, Plugin, Preset

PRESETS_DIR = Path(__file__).parent / "presets"


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
    task = "generate"
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
            large = model.generate(max(1, n // 16), seed=seed + label, labels=name, size=4 * crop, output="tensor")
            pieces = large.unfold(2, crop, crop).unfold(3, crop, crop).permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, crop, crop)
            candidates = {
                "model": model.generate(n, seed=seed + label, labels=name, size=crop, output="tensor"),
                "model_large_crops": pieces,
                "baseline_perlin": tinted_noise(real, n, generator),
                "real_floor": crops(label, seed + 2),
            }
            per_class[name] = {k: sliced_wasserstein(v, real, seed=seed)["swd"] for k, v in candidates.items()}
        means = {k: sum(c[k] for c in per_class.values()) / len(per_class) for k in next(iter(per_class.values()))}
        return {"metric": "sliced_wasserstein_x1e3", "n": n, "seed": seed, "mean": means, "classes": per_class}

    # ------------------------------------------------------------------ inference
    def sample_latents(self, nets: Any, config: PatternConfig, n: int, generator: Any, **options: Any) -> dict[str, list[Any]]:
        """The random inputs of ``n`` images at the requested size (for interpolation)."""
        G = nets["G"]
        height, width, _ = self._field(G, options.get("size"), options.get("tileable", False))
        return self._latents(G, n, height, width, generator, next(G.parameters()).device)

    def generate(self, nets: Any, config: PatternConfig, n: int, *, labels: Any = None, generator: Any = None,
                 latents: Any = None, size: Any = None, tileable: bool = False, **options: Any) -> Any:
        import torch
        import torch.nn.functional as F

        from artgan.errors import ArtganError
        from artgan.nn import set_padding

        if options:
            raise ArtganError(f"the pattern plugin takes no option(s) {', '.join(sorted(options))} (it takes size, tileable)")
        G = nets["G"]
        device = next(G.parameters()).device
        height, width, (out_h, out_w) = self._field(G, size, tileable)
        classes = max(1, len(config.labels))
        if labels is None:
            weights = torch.full((n, classes), 1.0 / classes)
        elif labels.dtype == torch.long:
            weights = F.one_hot(labels.cpu(), classes).float()
        else:
            weights = labels.float().cpu()
        if latents is None:
            latents = self._latents(G, n, height, width, generator, device)
        set_padding(G, "circular" if tileable else "reflect")
        try:
            images = G(latents, weights.to(device))
        finally:
            set_padding(G, "reflect")
        return images[..., :out_h, :out_w]

    def _field(self, G: Any, size: Any, tileable: bool) -> tuple[int, int, tuple[int, int]]:
        """Noise-field size for an output ``size`` (int or (width, height)), and the output size."""
        from artgan.errors import ArtganError

        width, height = (size, size) if isinstance(size, int) else (size or (256, 256))
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

        labels = torch.arange(16) % max(1, len(config.labels))
        return self.generate(nets, config, 16, labels=labels, generator=generator, size=4 * config.crop // 2)

    def test_source(self, directory: Path, config: PatternConfig) -> str:
        from artgan.images import write_random_images

        for index, name in enumerate(("stripes", "dots")):
            write_random_images(Path(directory) / "textures" / name, count=3, size=(40, 40), seed=index)
        return str(Path(directory) / "textures")


plugin = PatternPlugin()
