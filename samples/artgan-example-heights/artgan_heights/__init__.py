"""``heights``: a conditional GAN for terrain heightfields, the template for plugins that
bring their own output type, file formats and command.

It trains on a folder of class folders of grayscale heightmaps (``terrain/dunes/*.png``,
``terrain/ridges/*.png``; 16-bit PNGs keep their precision) and generates
:class:`~artgan_heights.outputs.Heightfield` outputs — 16-bit heights, not pictures — which
its writers save as raw ``.r16``, 16-bit ``.pgm`` or a folder of ``.r16`` files
(:mod:`artgan_heights.formats`). ``artgan heights-info FILE`` reads them back.

Importing this module is cheap: torch, numpy and the networks are imported inside the
methods that need them, since ``artgan --help`` imports every plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgan.config import setting
from artgan.plugin import Phase, Plugin, Verb, Writer
from artgan_heights.formats import encode_folder, encode_pgm, encode_r16
from artgan_heights.generate import GenerateOptions, generate
from artgan_heights.outputs import Heightfield

__all__ = ["Heightfield", "HeightsConfig", "HeightsPlugin", "plugin"]


@dataclass
class HeightsConfig:
    """Settings of the heightfield GAN; the defaults are the recommended model."""

    labels: tuple[str, ...] = ()  # class names, filled in from the training data's folders
    z_dim: int = setting(64, minimum=1, maximum=4096)  # noise length
    width: int = setting(64, minimum=4, maximum=1024)  # channels of the widest layer
    image_size: int = setting(32, minimum=8, maximum=1024)  # side of the heightfields in samples (a multiple of 4)
    r1_gamma: float = setting(1.0, minimum=0)  # R1 weight γ: the penalty is γ/2 · ‖∇D(x)‖² on real fields
    r1_every: int = setting(4, minimum=1, maximum=1024)  # apply R1 every this many steps (lazy regularisation)
    lr: float = setting(2e-4, above=0, maximum=1)  # Adam learning rate of both networks
    beta1: float = setting(0.5, minimum=0, below=1)  # Adam β1 of both networks


class HeightsPlugin(Plugin):
    """Conditional heightfields ``S×S`` in 16 bits from class folders of grayscale heightmaps."""

    name = "heights"
    Config = HeightsConfig
    api_version = 2
    roles = ("G", "D")
    inference_roles = ("G",)
    augment_roles = ("D",)
    verbs = (Verb("generate", generate, GenerateOptions, Heightfield,
                  help="Terrain heightfields by class or a mix, as 16-bit .r16, .pgm or a folder."),)
    writers = (
        Writer((".r16",), Heightfield, encode_r16, "raw 16-bit little-endian heights, fields side by side"),
        Writer((".pgm",), Heightfield, encode_pgm, "16-bit binary PGM (P5), fields side by side"),
        Writer(("",), Heightfield, encode_folder, "folder with one .r16 per field"),
    )
    train_defaults = {"batch_size": 32, "steps": 3000, "sample_every": 500, "checkpoint_every": 500}

    # ----------------------------------------------------------------- configuration
    def tiny_config(self) -> HeightsConfig:
        return HeightsConfig(z_dim=4, width=8, image_size=8)

    def adapt_config(self, config: HeightsConfig, dataset: Any) -> HeightsConfig:
        return replace(config, labels=tuple(dataset.names))

    def label_names(self, config: HeightsConfig) -> list[str]:
        return list(config.labels)

    # ----------------------------------------------------------------- training
    def phases(self, config: HeightsConfig) -> list[Phase]:
        betas = (config.beta1, 0.999)
        return [
            Phase("D", trains=("D",), lr=config.lr, betas=betas),
            # shares D's Adam; the engine multiplies its loss by r1_every and rescales that Adam
            Phase("D_r1", trains=("D",), every=config.r1_every, lr=config.lr, betas=betas),
            Phase("G", trains=("G",), lr=config.lr, betas=betas),
        ]

    def build(self, config: HeightsConfig) -> dict[str, Any]:
        from artgan.errors import ArtganError
        from artgan_heights.model import Discriminator, Generator

        if config.image_size < 4 or config.image_size % 4:
            raise ArtganError(f"image_size must be a multiple of 4, got {config.image_size}; e.g. -c image_size=32")
        if config.width < 2:
            raise ArtganError(f"width must be at least 2, got {config.width}")
        classes = max(1, len(config.labels))
        return {
            "G": Generator(config.z_dim, classes, config.width, config.image_size),
            "D": Discriminator(classes, config.width),
        }

    def dataset(self, source: Any, config: HeightsConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_heights.data import ClassHeights

        if not isinstance(source, str):
            raise ArtganError("heights trains on one folder of class folders: give --data FOLDER")
        return ClassHeights(source, config.image_size)

    def loss(self, phase: str, nets: Any, batch: Any, config: HeightsConfig) -> tuple[Any, dict[str, Any]]:
        import torch
        import torch.nn.functional as F

        from artgan.engine.losses import d_hinge, g_hinge, r1_penalty

        real, classes = batch  # default_collate made the (field, label) items a [fields, labels] pair
        labels = F.one_hot(classes, max(1, len(config.labels))).float()
        G, D = nets["G"], nets["D"]
        z = torch.randn(real.shape[0], config.z_dim, device=real.device)
        if phase == "D":
            with torch.no_grad():
                fake = G(z, labels)
            real_score, fake_score = D(real, labels), D(fake, labels)
            logs = {"real_score": real_score.detach().float().mean(), "fake_score": fake_score.detach().float().mean()}
            return d_hinge(real_score, fake_score), logs
        if phase == "D_r1":  # nominal weight: the engine applies the interval
            penalty = r1_penalty(D, real, labels)
            return penalty * (config.r1_gamma / 2), {"r1": penalty.detach()}
        return g_hinge(D(G(z, labels), labels)), {}

    def preview(self, nets: Any, config: HeightsConfig, batch: Any, generator: Any) -> Any:
        import torch
        import torch.nn.functional as F

        G = nets["G"]
        device = next(G.parameters()).device
        labels = F.one_hot(torch.arange(16) % G.classes, G.classes).float().to(device)
        return G(torch.randn(16, G.z_dim, generator=generator).to(device), labels)

    def test_source(self, directory: Path, config: HeightsConfig) -> str:
        from artgan.images import write_random_images

        root = Path(directory) / "terrain"
        for index, name in enumerate(("dunes", "ridges")):
            write_random_images(root / name, count=3, size=(12, 12), seed=index)
        return str(root)

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """SWD×1000 between ``n`` generated fields and ``n`` training fields (random classes)."""
        from artgan.metrics.generators import evaluate_generator

        def sample(count: int, sample_seed: int) -> Any:
            return model.run("generate", seed=sample_seed, options={"n": count}).heights[:, None] * 2 - 1

        return evaluate_generator(sample, self.dataset(source, model.config), n=n, seed=seed)

    # ----------------------------------------------------------------- command line
    def commands(self) -> list[Any]:
        from artgan_heights.commands import heights_info

        return [heights_info]


plugin = HeightsPlugin()
