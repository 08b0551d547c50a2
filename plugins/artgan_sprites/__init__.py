"""``sprites``: class-conditional game sprites with a real alpha channel.

Trained on a folder of class folders (or ``.txt`` lists) of RGBA sprites, fitted into
``image_size``² squares (:mod:`artgan_sprites.data`). The generator paints premultiplied
colour over a separate alpha head whose silhouette depends on the shape latent and class
only (:mod:`artgan_sprites.model`); the projection discriminator sees premultiplied RGBA.
``generate`` makes sprites at their native size, then optionally cuts alpha to on/off,
quantises to a palette and upscales by whole factors with nearest neighbours
(:mod:`artgan_sprites.generate`); sheets carry a TexturePacker-style JSON atlas
(:mod:`artgan_sprites.formats`), written beside the sheet (``crowd.png`` + ``crowd.json``).

Augmentation: ``-c augment=flip,translation`` (the default here) moves colour and alpha
together. The engine's ``color`` policy jitters the colour channels only and leaves alpha
alone, so ``-c augment=flip,translation,color`` is safe too; the shipped presets were trained
without it. ``translation`` resamples bilinearly and so softens the alpha edges D sees: the
real props, characters and buildings have 10.6 %, 0.8 % and 8.4 % semi-transparent pixels,
but 18.6 %, 15.8 % and 15.7 % after ``flip,translation`` (``flip,shift``: 9.5 %, 0.7 %, 7.0 %;
``benchmarks/augment_blur.py``). ``-c augment=flip,shift`` moves them by whole pixels instead.

Importing this module is cheap: torch and the networks load inside the methods.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from artgan.config import setting
from artgan.plugin import Phase, Plugin, Preset, Verb, Writer
from artgan_sprites.formats import Sprites, encode_folder, encode_preview, encode_sheet
from artgan_sprites.generate import GenerateOptions, generate

__all__ = ["Sprites", "SpritesConfig", "SpritesPlugin", "plugin"]

PRESETS_DIR = Path(__file__).parent / "presets"


@dataclass
class SpritesConfig:
    """Settings of the sprite GAN; the defaults are the shipped presets' architecture."""

    labels: tuple[str, ...] = ()  # class names, filled in from the training data's class folders
    image_size: int = setting(32, minimum=8, maximum=256)  # sprite side in pixels: image_size / 2**(len(widths)-1) must be whole
    binary_alpha: bool = True  # pixel art: alpha fully on or off in training data and outputs; False keeps soft edges
    alpha_snap: int = setting(0, minimum=0, maximum=127)  # soft alpha: D sees G's alpha snapped as `generate --alpha-snap N` writes it (0: raw sigmoid)
    shape_dim: int = setting(64, minimum=1, maximum=1024)  # length of the shape latent (silhouette and layout)
    colour_dim: int = setting(16, minimum=1, maximum=1024)  # length of the colour latent (only the colour head sees it)
    embed: int = setting(64, minimum=1, maximum=1024)  # class embedding size, fed to every conditional norm
    widths: tuple[int, ...] = setting((256, 128, 64, 32), minimum=1, maximum=2048)  # generator channels, smallest size first; ×2 between
    d_widths: tuple[int, ...] = setting((32, 64, 128, 256), minimum=1, maximum=2048)  # discriminator channels; ÷2 between
    stddev_group: int = setting(4, minimum=0, maximum=64)  # minibatch-stddev group in D (0: off), against mode collapse
    r1_gamma: float = setting(0.1, minimum=0, maximum=1000)  # R1 weight γ (γ/2·‖∇D(x)‖² on real sprites)
    r1_every: int = setting(4, minimum=1, maximum=1024)  # apply R1 every this many steps (lazy regularisation)
    lr_g: float = setting(2e-4, above=0, maximum=1)  # generator Adam learning rate
    lr_d: float = setting(4e-4, above=0, maximum=1)  # discriminator Adam learning rate (two time-scale rule, Heusel et al. 2017)


class SpritesPlugin(Plugin):
    """RGBA sprites by class: sheets with atlases, single PNGs, interpolation strips."""

    name = "sprites"
    Config = SpritesConfig
    roles = ("G", "D")
    inference_roles = ("G",)
    augment_roles = ("D",)
    verbs = (Verb("generate", generate, GenerateOptions, Sprites, channels=(4,),
                  help="RGBA sprites by class: a sheet .png with its atlas, or a folder of PNGs."),)
    writers = (
        Writer((".png",), Sprites, encode_sheet, "RGBA sprite sheet + its JSON atlas beside it (NAME.json)",
               sidecars=(".json",)),
        Writer((".jpg", ".jpeg"), Sprites, encode_preview, "contact sheet on a checkerboard (JPEG keeps no alpha)"),
        Writer(("",), Sprites, encode_folder, "folder with one RGBA PNG per sprite, named NNNN_class.png"),
    )
    train_defaults = {
        "steps": 4000,
        "batch_size": 32,
        "augment": "flip,translation",
        "ema_half_life_kimg": 5.0,
        "sample_every": 500,
        "checkpoint_every": 500,
        "log_every": 50,
    }
    presets = (
        Preset(
            tag="characters",
            task="generate",
            path=PRESETS_DIR / "characters",
            sha256="e4900d46c734f338eaf698128a02a605d8b5a0868be1cf1532df8ce2aa10f612",
            licence="CC0-1.0 (trained on the Dungeon Crawl Stone Soup tiles, CC0)",
            description="32×32 pixel-art characters, on/off alpha: animal, humanoid (early: about half the humanoids read as figures)",
        ),
        Preset(
            tag="props",
            task="generate",
            path=PRESETS_DIR / "props",
            sha256="338b405ab9a2a00162c0a9b6a524633d7141bc21e571b23ca5d499b2dbe5d12e",
            licence="CC0-1.0 (trained on Kenney asset packs, CC0)",
            description="32×32 props, soft alpha: item, plant, rock, tree (Kenney flat style)",
        ),
        Preset(
            tag="buildings",
            task="generate",
            path=PRESETS_DIR / "buildings",
            sha256="2d97ce83f5c976cfc36910e086a92ccdc4dc5f37b97157a7f23c884fe4475bdf",
            licence="CC0-1.0 (trained on Kenney asset packs, CC0)",
            description="32×32 buildings, soft alpha: hangar, house, tower (Kenney flat style; 67 training sprites)",
        ),
    )

    # ----------------------------------------------------------------- configuration
    def tiny_config(self) -> SpritesConfig:
        return SpritesConfig(image_size=8, shape_dim=4, colour_dim=2, embed=4, widths=(8, 4), d_widths=(4, 8))

    def adapt_config(self, config: SpritesConfig, dataset: Any) -> SpritesConfig:
        return replace(config, labels=tuple(dataset.names))

    def label_names(self, config: SpritesConfig) -> list[str]:
        return list(config.labels)

    def _check(self, config: SpritesConfig) -> None:
        from artgan.errors import ArtganError

        stages = 2 ** (len(config.widths) - 1)
        if len(config.widths) < 2 or config.image_size % stages or config.image_size // stages < 2:
            raise ArtganError(f"image_size {config.image_size} must be a multiple of {stages} (at least {2 * stages}) "
                              f"for {len(config.widths)} generator widths; e.g. -c image_size=32 with 4 widths")
        if len(config.d_widths) < 2 or config.image_size // 2 ** (len(config.d_widths) - 1) < 1:
            raise ArtganError(f"d_widths {config.d_widths}: give 2 or more, at most log2(image_size)+1")

    # ----------------------------------------------------------------- training
    def phases(self, config: SpritesConfig) -> list[Phase]:
        betas = (0.0, 0.99)
        return [
            Phase("D", trains=("D",), lr=config.lr_d, betas=betas),
            Phase("D_r1", trains=("D",), every=config.r1_every, lr=config.lr_d, betas=betas),
            Phase("G", trains=("G",), lr=config.lr_g, betas=betas),
        ]

    def build(self, config: SpritesConfig) -> dict[str, Any]:
        from artgan_sprites.model import SpriteDiscriminator, SpriteGenerator

        self._check(config)
        classes = max(1, len(config.labels))
        return {
            "G": SpriteGenerator(classes, config.shape_dim, config.colour_dim, config.embed, config.widths, config.image_size),
            "D": SpriteDiscriminator(classes, config.d_widths, config.stddev_group),
        }

    def dataset(self, source: Any, config: SpritesConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_sprites.data import ClassSprites

        if not isinstance(source, str):
            raise ArtganError("sprites trains on one folder with one subfolder (or .txt list) per class: give --data")
        return ClassSprites(source, config.image_size, config.binary_alpha)

    def loss(self, phase: str, nets: Any, batch: Any, config: SpritesConfig) -> tuple[Any, dict[str, Any]]:
        import torch
        import torch.nn.functional as F

        from artgan.engine.losses import d_hinge, g_hinge, r1_penalty
        from artgan_sprites.model import hard_alpha, premultiply, snap_alpha_through

        real, classes = batch
        labels = F.one_hot(classes, max(1, len(config.labels))).float()
        G, D = nets["G"], nets["D"]
        n, device = real.shape[0], real.device
        shape = torch.randn(n, config.shape_dim, device=device)
        colour = torch.randn(n, config.colour_dim, device=device)
        if config.binary_alpha:  # pixel art: D sees on/off alpha only
            cut = hard_alpha
        elif config.alpha_snap:  # soft alpha: D sees it snapped as generate writes it
            cut = partial(snap_alpha_through, levels=config.alpha_snap)
        else:
            cut = (lambda x: x)
        if phase == "D":
            with torch.no_grad():
                fake = cut(G(shape, colour, labels))
            real_score, fake_score = D(premultiply(real), labels), D(premultiply(fake), labels)
            return d_hinge(real_score, fake_score), {"real_score": real_score.detach().float().mean(),
                                                     "fake_score": fake_score.detach().float().mean()}
        if phase == "D_r1":  # nominal weight: the engine applies the interval
            penalty = r1_penalty(D, premultiply(real), labels)
            return penalty * (config.r1_gamma / 2), {"r1": penalty.detach()}
        return g_hinge(D(premultiply(cut(G(shape, colour, labels))), labels)), {}

    def preview(self, nets: Any, config: SpritesConfig, batch: Any, generator: Any) -> Any:
        import torch
        import torch.nn.functional as F

        from artgan_sprites.formats import DEFAULT_ALPHA_SNAP, binarise_alpha, on_checker, snap_alpha

        G = nets["G"]
        device = next(G.parameters()).device
        labels = F.one_hot(torch.arange(32) % G.classes, G.classes).float().to(device)
        shape = torch.randn(32, G.shape_dim, generator=generator).to(device)
        colour = torch.randn(32, G.colour_dim, generator=generator).to(device)
        sprites = G(shape, colour, labels).float()
        return on_checker(binarise_alpha(sprites) if config.binary_alpha
                          else snap_alpha(sprites, DEFAULT_ALPHA_SNAP))  # as generate gives them

    def test_source(self, directory: Path, config: SpritesConfig) -> str:
        from artgan_sprites.testdata import write_sprite_classes

        return str(write_sprite_classes(Path(directory) / "sprites", config.image_size))

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """Per class, SWD×1000 of ``n`` generated sprites (premultiplied RGBA) against that
        class's real sprites, and the share of semi-transparent pixels in both."""
        from artgan_sprites.quality import class_figures

        return class_figures(model, self.dataset(source, model.config), n=n, seed=seed)


plugin = SpritesPlugin()
