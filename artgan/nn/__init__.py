"""Building blocks several plugins share: recordable instance norm, residual blocks, PatchGAN,
conditional batch norm, circular padding, a noise-field generator and a projection critic."""

from artgan.nn.blocks import ConvNormAct, ReflectionPad, ResidualBlock, Upsample
from artgan.nn.conditional import ConditionalBatchNorm, set_padding
from artgan.nn.field import FieldGenerator, ProjectionDiscriminator
from artgan.nn.norm import InstanceNorm, norm_statistics
from artgan.nn.patchgan import PatchDiscriminator

__all__ = [
    "ConditionalBatchNorm", "ConvNormAct", "FieldGenerator", "InstanceNorm", "PatchDiscriminator", "ProjectionDiscriminator",
    "ReflectionPad", "ResidualBlock", "Upsample",
    "norm_statistics", "set_padding",
]
