"""Inference: a model loaded for its verbs, any-size tiling, latent paths, file planning, export.

The names here load on first use, so a torch-free submodule (file planning, reading exported
graphs) imports without torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Model", "in_batches"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from artgan.inference import model

        return getattr(model, name)
    raise AttributeError(f"module 'artgan.inference' has no attribute {name!r}")
