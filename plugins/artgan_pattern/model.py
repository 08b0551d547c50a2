"""The pattern networks: the core's spatial, conditional field GAN with RGB output.

``PatternGenerator`` is :class:`artgan.nn.field.FieldGenerator` (SGAN/PSGAN-style: a noise
field at 1/16 of the output size, a global latent, per-layer noise, the class through
conditional batch norm) making three channels; ``ProjectionDiscriminator`` judges picture and
class (Miyato & Koyama 2018). See :mod:`artgan.nn.field`.
"""

from __future__ import annotations

from artgan.nn.field import FieldGenerator as PatternGenerator
from artgan.nn.field import ProjectionDiscriminator

__all__ = ["PatternGenerator", "ProjectionDiscriminator"]
