"""CycleGAN's networks (Zhu et al. 2017): ResNet generators, PatchGAN critics, a history pool."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from artgan.nn import ConvNormAct, PatchDiscriminator, ReflectionPad, ResidualBlock, Upsample, fastpath
from artgan.nn.blocks import fused_forward


class ResnetGenerator(nn.Module):
    """Image → image: a 7×7 stem, ``downsamplings`` stride-2 convs, residual blocks at the
    lowest resolution, as many ×2 upsamplings, and a 7×7 head with tanh.

    Any input size works: inputs are padded to a multiple of 2**downsamplings (and to at
    least twice that) and the output is cropped back.
    """

    def __init__(self, width: int, downsamplings: int, blocks: int, upsample: str) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvNormAct(3, width, 7)]
        channels = width
        for _ in range(downsamplings):
            layers.append(ConvNormAct(channels, channels * 2, 3, stride=2))
            channels *= 2
        layers += [ResidualBlock(channels) for _ in range(blocks)]
        for _ in range(downsamplings):
            layers.append(Upsample(channels, channels // 2, upsample))
            channels //= 2
        layers += [ReflectionPad(3), nn.Conv2d(channels, 3, 7), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        self.multiple = 2**downsamplings
        self.width, self.downsamplings, self.blocks = width, downsamplings, blocks

    def encoder_taps(self) -> list[int]:
        """Indices into ``body`` whose outputs CUT's PatchNCE loss reads; -1 is the input itself.

        The shape of the paper's five layers (Park et al. 2020, §3 and appendix: the pixels,
        two downsampling layers, residual blocks 1 and 5 of 9), scaled to this generator: the
        input, the stem, every downsampling but the last, the first residual block and the
        middle one (``⌈blocks/2⌉``); with no residual blocks, the last downsampling instead.
        """
        taps = [-1, 0] + list(range(1, self.downsamplings))
        if self.blocks:
            taps += [self.downsamplings + 1, self.downsamplings + (self.blocks + 1) // 2]
        elif self.downsamplings:
            taps.append(self.downsamplings)
        return sorted(set(taps))

    def tap_channels(self) -> list[int]:
        """The channel count of each of :meth:`encoder_taps`' features."""
        return [3 if tap < 0 else self.width * 2 ** min(tap, self.downsamplings) for tap in self.encoder_taps()]

    def encode(self, images: torch.Tensor, taps: list[int]) -> list[torch.Tensor]:
        """The features at ``taps`` (see :meth:`encoder_taps`) of ``images``, a training batch
        whose sides are multiples of 2**downsamplings; only the layers up to the last tap run."""
        if images.shape[-2] % self.multiple or images.shape[-1] % self.multiple:
            raise ValueError(f"encode() needs sides that are multiples of {self.multiple}, got {tuple(images.shape[-2:])}")
        features = [images] if -1 in taps else []
        x = images
        for index in range(max(taps) + 1):
            x = self.body[index](x)
            if index in taps:
                features.append(x)
        return features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        if torch.jit.is_tracing():
            # traced for export: the size stays symbolic, so no Python branch on it. For pictures of
            # at least 2·multiple pixels a side (the exported graph's domain) this is the padding below
            images = F.pad(images, (0, (-width) % self.multiple, 0, (-height) % self.multiple), mode="reflect")
            return self.body(images)[..., :height, :width]
        # a multiple of the total stride, and at least two pixels wide at the lowest scale
        pad_h = max(-height % self.multiple, 2 * self.multiple - height)
        pad_w = max(-width % self.multiple, 2 * self.multiple - width)
        if pad_h or pad_w:
            mode = "reflect" if pad_h < height and pad_w < width else "replicate"
            images = F.pad(images, (0, pad_w, 0, pad_h), mode=mode)
        if fastpath.active(images, *self.body[0].parameters()):  # float32 CPU inference
            return fused_forward(list(self.body), images)[..., :height, :width]
        return self.body(images)[..., :height, :width]


class ImagePool(nn.Module):
    """The last ``size`` generated images (Shrivastava et al. 2017), as CycleGAN's
    ``ImagePool``: the discriminator sees a fake from history half the time, which damps
    oscillation. Buffers, so a training checkpoint keeps the history."""

    def __init__(self, size: int, shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, *shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))
        self.latest: torch.Tensor | None = None  # this step's fakes, handed from phase G to D

    @torch.no_grad()
    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Images for the discriminator, swapping some of ``images`` with older ones."""
        if self.size == 0:
            return images
        out = []
        for image in images.to(self.images.dtype):
            if image.shape != self.images.shape[1:]:
                out.append(image)  # a different crop size (e.g. a preview batch): pass through
            elif int(self.count) < self.size:
                self.images[int(self.count)] = image
                self.count += 1
                out.append(image)
            elif torch.rand(()) < 0.5:
                index = int(torch.randint(self.size, ()))
                out.append(self.images[index].clone())
                self.images[index] = image
            else:
                out.append(image)
        return torch.stack(out)


def discriminator(width: int, layers: int) -> nn.Module:
    return PatchDiscriminator(3, width, layers)
