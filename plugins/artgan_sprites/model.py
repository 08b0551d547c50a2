"""The sprite networks: a class-conditional generator with separate shape and colour paths,
and a projection discriminator that sees premultiplied RGBA.

Generator: the class embedding and the shape latent condition every batch norm of the trunk
(conditional BN, with the latent fed to every layer as in BigGAN, Brock et al. 2019, so the
latent cannot be ignored). The *shape* latent and the class drive a trunk of nearest-upsampling
convolutions; the **alpha head** reads the trunk only, so a sprite's silhouette depends on
its shape latent and class alone. The **colour head** reads the trunk too, but its norm is
conditioned on the *colour* latent as well: changing only the colour latent repaints the
same silhouette (what ``--vary colour`` uses).

Discriminator: strided convolutions with spectral norm (Miyato et al. 2018), a minibatch
standard-deviation feature at the end (Karras et al. 2018, "Progressive Growing of GANs" §3:
it lets the discriminator see a batch's lack of variety, against mode collapse, which the
first trial runs without it showed within classes) and a projection term ⟨embed(y), φ(x)⟩
(Miyato & Koyama 2018, "cGANs with projection discriminator"). It is
fed premultiplied colour and alpha, so the colour of transparent pixels, which files leave
arbitrary, never matters.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm

from artgan.nn import ConditionalBatchNorm


def premultiply(rgba: torch.Tensor) -> torch.Tensor:
    """Straight RGBA in ``[-1, 1]`` → premultiplied RGBA in ``[-1, 1]`` (transparent: all -1)."""
    colour, alpha = (rgba[:, :3] + 1) / 2, (rgba[:, 3:] + 1) / 2
    return torch.cat([colour * alpha, alpha], dim=1) * 2 - 1


def hard_alpha(rgba: torch.Tensor) -> torch.Tensor:
    """Alpha cut to fully on or off on the way forward, with the gradient of the soft alpha on
    the way back (a straight-through estimator, Bengio et al. 2013).

    For pixel-art models the discriminator sees real alpha that is exactly on or off; shown
    the generator's soft alpha it would tell the two apart by the softness alone and drive
    the alpha head's sigmoid into saturation, where its gradients vanish and every sprite
    keeps one silhouette (what the first pixel-art trial run did by step 300).
    """
    alpha = rgba[:, 3:]
    hard = torch.where(alpha >= 0, 1.0, -1.0)
    return torch.cat([rgba[:, :3], alpha + (hard - alpha).detach()], dim=1)


def snap_alpha_through(rgba: torch.Tensor, levels: int) -> torch.Tensor:
    """:func:`~artgan_sprites.formats.snap_alpha` on the way forward, the identity's gradient
    on the way back (straight through, as :func:`hard_alpha`): for soft-alpha models the
    discriminator then sees the alpha ``generate --alpha-snap`` writes, whose off pixels are
    exactly off like the real sprites', instead of a sigmoid's tails it could only push
    further into saturation."""
    from artgan_sprites.formats import snap_alpha

    return rgba + (snap_alpha(rgba, levels) - rgba).detach()


class UpBlock(nn.Module):
    """×2 nearest upsampling, a 3×3 convolution, conditional batch norm, ReLU."""

    def __init__(self, cin: int, cout: int, condition: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm = ConditionalBatchNorm(cout, condition)

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        x = nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        return torch.relu(self.norm(self.conv(x), condition))


class SpriteGenerator(nn.Module):
    """``(shape latent, colour latent, class weights N×K)`` → straight RGBA ``N×4×S×S`` in [-1, 1]."""

    def __init__(self, classes: int, shape_dim: int, colour_dim: int, embed: int,
                 widths: tuple[int, ...], size: int) -> None:
        super().__init__()
        self.classes, self.shape_dim, self.colour_dim, self.size = classes, shape_dim, colour_dim, size
        self.start = size // 2 ** (len(widths) - 1)
        self.embed = nn.Linear(classes, embed, bias=False)
        self.stem = nn.Linear(shape_dim + embed, widths[0] * self.start**2)
        self.stem_norm = ConditionalBatchNorm(widths[0], embed + shape_dim)
        self.blocks = nn.ModuleList(UpBlock(a, b, embed + shape_dim) for a, b in zip(widths[:-1], widths[1:]))
        last = widths[-1]
        self.alpha_head = nn.Conv2d(last, 1, 3, padding=1)
        self.colour_conv = nn.Conv2d(last, last, 3, padding=1)
        self.colour_norm = ConditionalBatchNorm(last, embed + colour_dim)
        self.colour_head = nn.Conv2d(last, 3, 3, padding=1)

    def forward(self, shape: torch.Tensor, colour: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        y = self.embed(labels)
        x = self.stem(torch.cat([shape, y], dim=1)).view(shape.shape[0], -1, self.start, self.start)
        trunk = torch.cat([y, shape], dim=1)
        x = torch.relu(self.stem_norm(x, trunk))
        for block in self.blocks:
            x = block(x, trunk)
        alpha = torch.sigmoid(self.alpha_head(x))
        paint = torch.relu(self.colour_norm(self.colour_conv(x), torch.cat([y, colour], dim=1)))
        rgb = torch.tanh(self.colour_head(paint))
        return torch.cat([rgb, alpha * 2 - 1], dim=1)


class SpriteDiscriminator(nn.Module):
    """Premultiplied RGBA ``N×4×S×S`` and class weights ``N×K`` → one score per sprite."""

    def __init__(self, classes: int, widths: tuple[int, ...], stddev_group: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [spectral_norm(nn.Conv2d(4, widths[0], 3, padding=1)), nn.LeakyReLU(0.2)]
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [spectral_norm(nn.Conv2d(a, a, 3, padding=1)), nn.LeakyReLU(0.2),
                       spectral_norm(nn.Conv2d(a, b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.group = stddev_group
        self.final = spectral_norm(nn.Conv2d(widths[-1] + (1 if stddev_group else 0), widths[-1], 3, padding=1))
        self.linear = spectral_norm(nn.Linear(widths[-1], 1))
        self.embed = spectral_norm(nn.Linear(classes, widths[-1], bias=False))

    def forward(self, rgba: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(rgba)
        if self.group:
            h = torch.cat([h, minibatch_stddev(h, self.group)], dim=1)
        h = nn.functional.leaky_relu(self.final(h), 0.2).sum(dim=(2, 3))
        return (self.linear(h) + (self.embed(labels) * h).sum(dim=1, keepdim=True)).squeeze(1)


def minibatch_stddev(h: torch.Tensor, group: int) -> torch.Tensor:
    """One channel: the mean standard deviation of the features over groups of ``group``
    sprites (the largest group size ≤ ``group`` that divides the batch), per sprite."""
    n, c, height, width = h.shape
    g = min(group, n)
    while n % g:
        g -= 1
    spread = h.view(g, n // g, c, height, width).var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2, 3))
    return spread.repeat(g).view(n, 1, 1, 1).expand(n, 1, height, width)
