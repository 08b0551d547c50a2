"""Inference: a model loaded for its verbs, any-size tiling, latent paths, file planning."""

from artgan.inference.model import Model, in_batches

__all__ = ["Model", "in_batches"]
