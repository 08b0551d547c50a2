"""The example plugin as written for artgan plugin API 1 (artgan 0.1), kept to prove that such a
plugin gets a clear, versioned message saying what to change."""


from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artgan.plugin import Phase, Plugin


@dataclass
class ExampleConfig:
    """Settings of the example GAN."""

    z_dim: int = 32  # noise length
    width: int = 64  # channels of the widest layer
    image_size: int = 16  # output side in pixels (a multiple of 4)
    r1_gamma: float = 1.0  # weight of the R1 penalty on real images
    r1_every: int = 4  # apply R1 every this many steps (lazy regularisation)
    lr: float = 2e-4  # Adam learning rate


class ExamplePlugin(Plugin):
    """Unconditional 16×16 RGB images from a folder of pictures."""

    name = "example_v1"
    Config = ExampleConfig
    task = "generate"
    train_defaults = {"batch_size": 32}

    def tiny_config(self) -> ExampleConfig:
        return ExampleConfig(z_dim=4, width=8, image_size=8)

    def phases(self, config: ExampleConfig) -> list[Phase]:
        return [
            Phase("D", trains=("D",), lr=config.lr),
            Phase("D_r1", trains=("D",), every=config.r1_every, lr=config.lr),
            Phase("G", trains=("G",), lr=config.lr),
        ]

    def build(self, config: ExampleConfig) -> dict[str, Any]:
        from artgan_example.model import Discriminator, Generator

        return {"G": Generator(config.z_dim, config.width, config.image_size), "D": Discriminator(config.width, config.image_size)}

    def dataset(self, source: str, config: ExampleConfig) -> Any:
        from artgan_example.model import FolderImages

        return FolderImages(source, config.image_size)

    def loss(self, phase: str, nets: Any, batch: Any, config: ExampleConfig) -> tuple[Any, dict[str, Any]]:
        import torch

        from artgan.engine.losses import d_hinge, g_hinge, r1_penalty

        G, D = nets["G"], nets["D"]
        z = torch.randn(batch.shape[0], config.z_dim, device=batch.device)
        if phase == "D":
            with torch.no_grad():
                fake = G(z)
            return d_hinge(D(batch), D(fake)), {}
        if phase == "D_r1":  # scaled by the interval so its average weight is r1_gamma
            penalty = r1_penalty(D, batch)
            return penalty * (config.r1_gamma / 2 * config.r1_every), {"r1": penalty.detach()}
        return g_hinge(D(G(z))), {}

    def generate(self, nets: Any, config: ExampleConfig, n: int, *, labels: Any = None, generator: Any = None, **options: Any) -> Any:
        import torch

        from artgan.errors import ArtganError

        if labels is not None or options:
            raise ArtganError("the example plugin takes no labels or options")
        G = nets["G"]
        z = torch.randn(n, config.z_dim, generator=generator).to(next(G.parameters()).device)
        return G(z)


plugin = ExamplePlugin()
plugin.api_version = 1  # what API-1 plugins inherited from artgan 0.1
