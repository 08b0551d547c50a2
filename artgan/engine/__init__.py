"""The GAN engine: one training loop, runtime, EMA, losses, augmentation, data feeding."""

from artgan.engine.loop import train

__all__ = ["train"]
