"""A spatial, conditional GAN's networks: a noise-field generator of any size and a projection critic.

The generator follows the spatial GANs for texture synthesis (SGAN/PSGAN, Jetchev, Bergmann &
Vollgraf 2016–17): a fully convolutional network turns a noise *field* into an output of
any size.

- the local noise field (1/2ᵏ of the output size, k upsampling stages) sets where things are;
- a global latent, broadcast into the field and into every normalisation layer, sets the
  overall character shared by the whole output;
- per-layer noise maps add fine stochastic detail (as StyleGAN's noise inputs);
- the class label (or a weighted mix of classes) steers every layer through conditional
  batch norm; a projection discriminator (Miyato & Koyama 2018) judges output and class.

Every layer is a convolution and the norms use running statistics at inference, so one set of
weights makes any size, tiles render exactly (:mod:`artgan.inference.fields`), and with
circular padding (:func:`artgan.nn.set_padding`) the output wraps around.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from artgan.nn.conditional import ConditionalBatchNorm, Upsample2x


class FieldUpBlock(nn.Module):
    """×2 upsampling (nearest or bilinear, see :class:`Upsample2x`), two 3×3 convs with noise
    and conditional batch norm."""

    def __init__(self, cin: int, cout: int, condition: int, upsample: str = "nearest") -> None:
        super().__init__()
        self.up = Upsample2x(cin, upsample)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect")
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, padding_mode="reflect")
        self.norm1 = ConditionalBatchNorm(cout, condition)
        self.norm2 = ConditionalBatchNorm(cout, condition)
        self.noise_scale = nn.Parameter(torch.zeros(2, cout))

    def forward(self, x: torch.Tensor, condition: torch.Tensor, noise: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x = self.conv1(self.up(x)) + self.noise_scale[0].view(1, -1, 1, 1) * noise[0]
        x = F.leaky_relu(self.norm1(x, condition), 0.2)
        x = self.conv2(x) + self.noise_scale[1].view(1, -1, 1, 1) * noise[1]
        return F.leaky_relu(self.norm2(x, condition), 0.2)


class FieldGenerator(nn.Module):
    """Latents (see :meth:`latent_shapes`) and class weights ``N×K`` → ``N×channels×fh×fw`` in
    [-1, 1] for a noise field of ``h×w`` (``f`` = :attr:`factor`). ``upsample`` is each stage's
    ×2 upsampling, ``nearest`` or ``bilinear``; it has no weights."""

    def __init__(self, classes: int, local: int, global_: int, embed: int, widths: tuple[int, ...],
                 channels: int = 3, upsample: str = "nearest") -> None:
        super().__init__()
        self.local, self.global_ = local, global_
        self.embed = nn.Linear(classes, embed, bias=False)  # linear: mixing labels mixes embeddings
        condition = embed + global_
        self.stem = nn.Conv2d(local + global_, widths[0], 3, padding=1, padding_mode="reflect")
        self.blocks = nn.ModuleList(FieldUpBlock(a, b, condition, upsample) for a, b in zip(widths[:-1], widths[1:]))
        self.head = nn.Conv2d(widths[-1], channels, 3, padding=1, padding_mode="reflect")
        self.factor = 2 ** len(self.blocks)

    def field_margin(self) -> int:
        """Noise-field cells of context each side that decide an output pixel: the receptive
        field of the convolutions, rounded up, plus one to spare. A tile of the field rendered
        with this much context around it, then cropped, equals that part of the whole output
        (the norms use running statistics, so nothing else is shared across it)."""
        reach, scale = self.stem.kernel_size[0] // 2, 1
        for block in self.blocks:
            scale *= 2
            reach += (block.up.reach() + block.conv1.kernel_size[0] // 2 + block.conv2.kernel_size[0] // 2) / scale
        reach += (self.head.kernel_size[0] // 2) / scale
        return math.ceil(reach) + 1

    def latent_shapes(self, height: int, width: int) -> dict[str, list[tuple[int, ...]]]:
        """Shapes (without the batch dimension) of the latents for a ``height×width`` field."""
        noise = []
        for i in range(len(self.blocks)):
            size = (1, height * 2 ** (i + 1), width * 2 ** (i + 1))
            noise += [size, size]
        return {"local": [(self.local, height, width)], "global": [(self.global_,)], "noise": noise}

    def forward(self, latents: dict[str, list[torch.Tensor]], labels: torch.Tensor) -> torch.Tensor:
        local, global_ = latents["local"][0], latents["global"][0]
        condition = torch.cat([self.embed(labels), global_], dim=1)
        field = torch.cat([local, global_[:, :, None, None].expand(-1, -1, *local.shape[-2:])], dim=1)
        x = F.leaky_relu(self.stem(field), 0.2)
        noise = latents["noise"]
        for i, block in enumerate(self.blocks):
            x = block(x, condition, (noise[2 * i], noise[2 * i + 1]))
        return torch.tanh(self.head(x))


class ProjectionDiscriminator(nn.Module):
    """Spectrally normalised conv stack; score = ψ(φ(x)) + ⟨embed(y), φ(x)⟩ (Miyato & Koyama 2018)."""

    def __init__(self, classes: int, widths: tuple[int, ...], channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = channels
        for width in widths:
            layers += [
                spectral_norm(nn.Conv2d(cin, width, 3, padding=1)), nn.LeakyReLU(0.2),
                spectral_norm(nn.Conv2d(width, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            ]
            cin = width
        self.features = nn.Sequential(*layers)
        self.score = spectral_norm(nn.Linear(cin, 1))
        self.embed = spectral_norm(nn.Linear(classes, cin, bias=False))

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        phi = self.features(images).sum(dim=(2, 3))
        return self.score(phi).squeeze(1) + (self.embed(labels.to(phi.dtype)) * phi).sum(1)
