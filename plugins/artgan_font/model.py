"""The glyph networks: a style encoder, a conditional generator and a three-way discriminator.

- ``GlyphGenerator(z, c)``: a style latent ``z`` and a character ``c`` (one-hot or class
  weights) → one glyph. ``w = MLP([z, embed(c)])`` seeds a 4×4 map and modulates every
  stage through adaptive instance normalisation (AdaIN, Huang & Belongie 2017), the way
  FUNIT/DG-Font carry a style code into a decoder.
- ``StyleEncoder(refs, ref_labels)``: any number of glyphs of one font (with their
  characters) → the mean and log-variance of the style latent, pooled by a mean so 4 or 10
  references both work (as in the VAE-GAN of Larsen et al. 2016, the latent is pulled to
  a unit normal, so that ``generate`` can sample new styles from it).
- ``GlyphDiscriminator(x, ref, c)``: a glyph beside a reference glyph of the style → one
  score that is high only when x is real (realism), is the character c (projection, Miyato &
  Koyama 2018) and is drawn in the reference's style (x and ref side by side as two
  channels; a real glyph beside a glyph of another font is a negative, as in the
  matching-aware discriminator of Reed et al. 2016).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class AdaIN(nn.Module):
    """Instance normalisation whose scale and shift come from the style code ``w``."""

    def __init__(self, channels: int, w_dim: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.affine = nn.Linear(w_dim, 2 * channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(w)[:, :, None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + scale) + shift


class GlyphGenerator(nn.Module):
    """``(z, c)`` → ``N×1×R×R`` glyphs in [-1, 1] (ink +1), R = 4·2^(len(widths)−1).

    The character enters twice: as an embedding mixed into the style code ``w``, and as a
    picture, its **mean glyph** over the training fonts (a buffer, kept as a running mean
    of the real glyphs of each character by :meth:`observe` during training and saved
    with the weights). A small U-Net reads the mean glyph (stride-2 convolutions) and the
    AdaIN decoder draws from its 4×4 features up, with the encoder's features joined at
    every scale, so the character's shape is there from the first step and training is
    spent on style (the role the source-font glyph plays in zi2zi, DG-Font and MX-Font).
    """

    def __init__(self, classes: int, z_dim: int, embed: int, widths: tuple[int, ...]) -> None:
        super().__init__()
        self.classes, self.z_dim = classes, z_dim
        w_dim = 2 * embed
        self.resolution = 4 * 2 ** (len(widths) - 1)
        self.register_buffer("mean_glyphs", -torch.ones(classes, 1, self.resolution, self.resolution))
        self.register_buffer("seen", torch.zeros(classes))
        self.embed = nn.Linear(classes, embed, bias=False)
        self.mapping = nn.Sequential(nn.Linear(z_dim + embed, w_dim), nn.LeakyReLU(0.2), nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2))
        down = list(reversed(widths))  # e.g. 16, 32, 64, 128, 256 from R down to 4
        self.down = nn.ModuleList(nn.Conv2d(1 if i == 0 else down[i - 1], down[i], 4 if i else 3, stride=2 if i else 1, padding=1)
                                  for i in range(len(down)))
        self.seed_norm = AdaIN(widths[0], w_dim)
        self.convs = nn.ModuleList(nn.Conv2d(a + b, b, 3, padding=1) for a, b in zip(widths[:-1], widths[1:]))
        self.norms = nn.ModuleList(AdaIN(b, w_dim) for b in widths[1:])
        self.out = nn.Conv2d(widths[-1], 1, 3, padding=1)

    @torch.no_grad()
    def observe(self, real: torch.Tensor, c: torch.Tensor) -> None:
        """Fold real glyphs ``real`` of class indices ``c`` into the per-character running mean."""
        for index in c.unique():
            picked = real[c == index].float()
            self.seen[index] += len(picked)
            rate = len(picked) / self.seen[index].clamp(max=2000)
            self.mean_glyphs[index] += rate * (picked.mean(0) - self.mean_glyphs[index])

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        w = self.mapping(torch.cat([z, self.embed(c)], dim=1))
        weights = c / c.sum(dim=1, keepdim=True).clamp(min=1e-8)
        x = torch.einsum("nk,kchw->nchw", weights.to(self.mean_glyphs.dtype), self.mean_glyphs).to(z.dtype)
        skips = []
        for conv in self.down:
            x = F.leaky_relu(conv(x), 0.2)
            skips.append(x)
        x = F.leaky_relu(self.seed_norm(skips[-1], w), 0.2)
        for conv, norm, skip in zip(self.convs, self.norms, reversed(skips[:-1])):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = F.leaky_relu(norm(conv(torch.cat([x, skip], dim=1)), w), 0.2)
        return torch.tanh(self.out(x))


def _trunk(channels_in: int, widths: tuple[int, ...]) -> nn.Sequential:
    """Stride-2 convolutions, one per width, with leaky ReLU."""
    layers: list[nn.Module] = []
    for a, b in zip((channels_in, *widths[:-1]), widths):
        layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers)


class StyleEncoder(nn.Module):
    """``refs N×K×1×R×R`` and ``ref_labels N×K×classes`` → ``(mu, logvar)`` of the style latent."""

    def __init__(self, classes: int, z_dim: int, widths: tuple[int, ...], resolution: int) -> None:
        super().__init__()
        self.trunk = _trunk(1, widths)
        side = resolution // 2 ** len(widths)
        features = widths[-1] * side * side
        self.project = nn.Linear(features, 4 * z_dim)
        self.embed = nn.Linear(classes, 4 * z_dim, bias=False)
        self.head = nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(4 * z_dim, 4 * z_dim), nn.LeakyReLU(0.2), nn.Linear(4 * z_dim, 2 * z_dim))

    def forward(self, refs: torch.Tensor, ref_labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, k = refs.shape[:2]
        h = self.trunk(refs.flatten(0, 1)).flatten(1)
        h = self.project(h) + self.embed(ref_labels.flatten(0, 1))
        h = h.view(n, k, -1).mean(dim=1)
        mu, logvar = self.head(h).chunk(2, dim=1)
        return mu, logvar.clamp(-8, 4)


class GlyphDiscriminator(nn.Module):
    """``(x, ref, c)`` → one score per glyph: real, of character c, in the style of ref."""

    def __init__(self, classes: int, widths: tuple[int, ...], resolution: int) -> None:
        super().__init__()
        self.trunk = _trunk(2, widths)
        side = resolution // 2 ** len(widths)
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * side * side, 256), nn.LeakyReLU(0.2))
        self.score = nn.Linear(256, 1)
        self.embed = nn.Linear(classes, 256, bias=False)

    def forward(self, x: torch.Tensor, ref: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.features(self.trunk(torch.cat([x, ref], dim=1)))
        return self.score(h).squeeze(1) + (self.embed(c) * h).sum(dim=1)
