"""The terrain networks: the core's field generator making heights, and a critic that sees slopes.

The generator is :class:`artgan.nn.field.FieldGenerator` with one output channel: a noise
field at 1/16 of the map's size says where the ridges and valleys go, a global latent sets
the character of the whole map, per-layer noise adds fine detail and the landform class
steers every layer through conditional batch norm. Every layer is a convolution, so one set
of weights makes any size; with circular padding the map wraps around.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from artgan.nn.field import FieldGenerator, ProjectionDiscriminator


def heights_generator(classes: int, local: int, global_: int, embed: int, widths: tuple[int, ...]) -> FieldGenerator:
    """Latents and class weights ``N×K`` → heights ``N×1×16h×16w`` in [-1, 1]."""
    return FieldGenerator(classes, local, global_, embed, widths, channels=1)


class TerrainCritic(ProjectionDiscriminator):
    """A projection critic on heights and their slopes.

    Besides the heights it sees their east and north differences, scaled to the crop: much
    of what tells real terrain from noise is in the slopes, and the first layer then need
    not learn to difference.
    """

    def __init__(self, classes: int, widths: tuple[int, ...]) -> None:
        super().__init__(classes, widths, channels=3)

    def forward(self, heights: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        scale = heights.shape[-1] / 4  # a slope of one crop height over a quarter crop reads as 1
        east = F.pad(heights[..., :, 1:] - heights[..., :, :-1], (0, 1, 0, 0), mode="replicate") * scale
        north = F.pad(heights[..., :-1, :] - heights[..., 1:, :], (0, 0, 0, 1), mode="replicate") * scale
        return super().forward(torch.cat([heights, east, north], dim=1), labels)
