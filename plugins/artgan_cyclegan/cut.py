"""``cut``: one-sided unpaired translation, CUT and FastCUT (Park, Efros, Zhang, Zhu, ECCV 2020,
arXiv 2007.15651), e.g. photo → painting.

One generator ``G_AB`` (the CycleGAN plugin's ResNet generator, same settings and weights
layout), one PatchGAN ``D`` and the least-squares GAN loss, as in the paper; instead of a
second generator and a cycle, the PatchNCE loss (:mod:`artgan_cyclegan.patchnce`) ties each
output patch to the input patch at the same place, read by ``G_AB``'s own encoder through a
projection MLP per layer (``H``, trained with the generator). CUT (the default) weighs the GAN
loss 1 and PatchNCE 1 and adds the identity PatchNCE on paintings (``G_AB(y)`` against ``y``);
``--variant fastcut`` weighs PatchNCE 10 and drops the identity term. Not done here: the
paper's flip-equivariance augmentation for FastCUT.

Inference is CycleGAN's: the same ``stylize`` verb, tiling, ONNX export and ``artgan stylize
--style RUN`` run ``G_AB`` alone, so a CUT model costs what a CycleGAN one does at the same
generator settings. A training step costs less than a CycleGAN step: two generator passes and
two encoder passes instead of six generator passes, one discriminator instead of two. Measured
at the default settings (vangogh, 128 px crops, fp32, one torch thread each, both runs at once
on two shared AVX2 cores): 1.35 s per CUT step against 2.27 s per CycleGAN step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artgan.config import setting
from artgan.plugin import Phase
from artgan_cyclegan import CycleGANPlugin, TranslatorConfig


@dataclass
class CUTConfig(TranslatorConfig):
    """Settings of CUT: the generator, critic and crops of :class:`TranslatorConfig` (the CycleGAN
    plugin's light model), and the PatchNCE loss."""

    lambda_gan: float = setting(1.0, minimum=0)  # weight of the LSGAN generator loss (paper: 1)
    lambda_nce: float = setting(1.0, minimum=0)  # weight of PatchNCE (paper: CUT 1, FastCUT 10)
    nce_identity: bool = True  # also PatchNCE of G_AB(painting) against the painting (paper: CUT yes, FastCUT no)
    nce_patches: int = setting(256, minimum=1, maximum=65_536)  # random locations per tapped layer (paper: 256)
    nce_units: int = setting(256, minimum=1, maximum=4096)  # width of each projection MLP (paper: 256)
    nce_temperature: float = setting(0.07, above=0, maximum=10)  # τ of the contrastive cross-entropy (paper: 0.07)
    pool_size: int = setting(0, minimum=0, maximum=10_000)  # generated images the critic's history pool keeps (paper: 0)
    lr: float = setting(2e-4, above=0, maximum=1)  # Adam learning rate of all networks (paper: 2e-4)
    beta1: float = setting(0.5, minimum=0, below=1)  # Adam β1 (paper: 0.5)


class CUTPlugin(CycleGANPlugin):
    """Unpaired one-sided translation from collection A (photos) to collection B (paintings);
    inference, export, preview and evaluation are the CycleGAN plugin's (``G_AB`` alone)."""

    name = "cut"
    Config = CUTConfig
    roles = ("G_AB", "D", "H", "pool")
    inference_roles = ("G_AB",)
    augment_roles = ("D",)
    variants = {
        "fastcut": CUTConfig(lambda_nce=10.0, nce_identity=False),
        "paper": CUTConfig(width=64, downsamplings=2, blocks=9, upsample="transpose", crop=256, scale_min=286, scale_max=286),
        "paper-fastcut": CUTConfig(width=64, downsamplings=2, blocks=9, upsample="transpose", crop=256, scale_min=286,
                                   scale_max=286, lambda_nce=10.0, nce_identity=False),
    }
    presets = ()  # the shipped styles are CycleGAN models (they load with either plugin's stylize)

    def tiny_config(self) -> CUTConfig:
        return CUTConfig(width=4, downsamplings=1, blocks=1, d_width=4, d_layers=1, crop=16, scale_min=16, scale_max=24,
                         nce_patches=16, nce_units=8)

    def phases(self, config: CUTConfig) -> list[Phase]:
        betas = (config.beta1, 0.999)
        return [
            Phase("G", trains=("G_AB", "H"), lr=config.lr, betas=betas),
            Phase("D", trains=("D",), lr=config.lr, betas=betas),
        ]

    def build(self, config: CUTConfig) -> dict[str, Any]:
        from artgan_cyclegan.model import ImagePool, ResnetGenerator, discriminator
        from artgan_cyclegan.patchnce import ProjectionHeads

        generator = ResnetGenerator(config.width, config.downsamplings, config.blocks, config.upsample)
        return {
            "G_AB": generator,
            "D": discriminator(config.d_width, config.d_layers),
            "H": ProjectionHeads(generator.tap_channels(), config.nce_units),
            "pool": ImagePool(config.pool_size, (3, config.crop, config.crop)),
        }

    def dataset(self, source: Any, config: CUTConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_cyclegan.data import unpaired

        smallest = 3 * 2**config.d_layers  # a PatchGAN of d_layers layers scores nothing below this
        if config.crop < smallest:
            raise ArtganError(f"crop {config.crop} is too small for a {config.d_layers}-layer PatchGAN; use crop ≥ {smallest}")
        if config.crop % 2**config.downsamplings:
            raise ArtganError(f"crop {config.crop} must be a multiple of 2**downsamplings = {2**config.downsamplings} "
                              "(the PatchNCE loss reads the encoder at the crop's own size); e.g. -c crop=128")
        return unpaired(source, config.crop, config.scale_min, config.scale_max, config.photo_exposure)

    def loss(self, phase: str, nets: Any, batch: Any, config: CUTConfig) -> tuple[Any, dict[str, Any]]:
        import torch

        from artgan.engine.losses import d_lsgan, g_lsgan
        from artgan_cyclegan.patchnce import patchnce_loss

        real_A, real_B = batch["A"], batch["B"]
        G, D, H, pool = nets["G_AB"], nets["D"], nets["H"], nets["pool"]

        if phase == "G":
            inputs = torch.cat([real_A, real_B]) if config.nce_identity else real_A
            outputs = G(inputs)  # one pass for both, as the paper's code does; instance norm keeps images apart
            fake_B = outputs[: len(real_A)]
            adversarial = g_lsgan(D(fake_B))
            nce = patchnce_loss(G, H, real_A, fake_B, config.nce_patches, config.nce_temperature)
            logs = {"adversarial": adversarial.detach(), "nce": nce.detach()}
            if config.nce_identity:
                identity = patchnce_loss(G, H, real_B, outputs[len(real_A):], config.nce_patches, config.nce_temperature)
                logs["nce_identity"] = identity.detach()
                nce = 0.5 * (nce + identity)
            pool.latest = fake_B.detach()
            return config.lambda_gan * adversarial + config.lambda_nce * nce, logs
        if pool.latest is None:  # D before any G phase: make fakes
            with torch.no_grad():
                pool.latest = G(real_A)
        fake_B = pool.query(pool.latest)
        pool.latest = None
        loss = d_lsgan(D(real_B), D(fake_B.to(real_B.dtype)))
        return loss, {"D": loss.detach()}

    def commands(self) -> list[Any]:
        return []  # `artgan stylize` (the CycleGAN plugin's command) runs CUT models too


plugin = CUTPlugin()
