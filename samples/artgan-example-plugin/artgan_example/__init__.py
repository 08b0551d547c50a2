"""``example``: a tiny convolutional GAN, the template for third-party artgan plugins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artgan.config import option, setting
from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Verb


@dataclass
class ExampleConfig:
    """Settings of the example GAN."""

    z_dim: int = setting(32, minimum=1, maximum=4096)  # noise length
    width: int = setting(64, minimum=4, maximum=1024)  # channels of the widest layer
    image_size: int = setting(16, minimum=8, maximum=1024)  # output side in pixels (a multiple of 4)
    r1_gamma: float = setting(1.0, minimum=0)  # weight of the R1 penalty on real images
    r1_every: int = setting(4, minimum=1, maximum=1024)  # apply R1 every this many steps (lazy regularisation)
    lr: float = setting(2e-4, above=0, maximum=1)  # Adam learning rate


@dataclass
class GenerateOptions:
    """Options of ``generate``: each becomes a flag of ``artgan generate MODEL`` and a keyword in Python."""

    n: int = option(1, "How many images (more than one: a grid, or one file each in a folder).", flag="-n", minimum=1)


def generate(model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Images:
    """``options.n`` images from noise drawn from ``generator`` (so a seed reproduces them)."""
    import torch

    G = model.nets["G"]
    z = torch.randn(options.n, model.config.z_dim, generator=generator).to(model.device)
    with model.autocast():
        return Images(G(z))


def _size(config: ExampleConfig, options: GenerateOptions, inputs: Any) -> tuple[int, int]:
    return config.image_size, config.image_size


class ExamplePlugin(Plugin):
    """Unconditional 16×16 RGB images from a folder of pictures."""

    name = "example"
    Config = ExampleConfig
    roles = ("G", "D")
    verbs = (Verb("generate", generate, GenerateOptions, Images, channels=(3,), size=_size, help="Draw images from noise."),)
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

    def dataset(self, source: Any, config: ExampleConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_example.model import FolderImages

        if not isinstance(source, str):
            raise ArtganError("the example plugin trains on one folder of pictures: give --data FOLDER")
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
        if phase == "D_r1":  # at its nominal weight: the engine scales a lazy phase by its interval
            penalty = r1_penalty(D, batch)
            return penalty * (config.r1_gamma / 2), {"r1": penalty.detach()}
        return g_hinge(D(G(z))), {}

    def preview(self, nets: Any, config: ExampleConfig, batch: Any, generator: Any) -> Any:
        import torch

        G = nets["G"]
        return G(torch.randn(16, config.z_dim, generator=generator).to(next(G.parameters()).device))

    def evaluate(self, model: Any, source: str, *, n: int, seed: int) -> dict[str, Any]:
        """SWD×1000 of ``n`` samples against ``n`` pictures of ``source`` (artgan.metrics)."""
        from artgan.metrics.generators import evaluate_generator

        def sample(count: int, sample_seed: int) -> Any:
            return model.run("generate", seed=sample_seed, options={"n": count}).pixels

        return evaluate_generator(sample, self.dataset(source, model.config), n=n, seed=seed)


plugin = ExamplePlugin()
