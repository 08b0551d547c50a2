"""artgan: generative adversarial networks for art, with a plugin ecosystem.

The API is imported lazily, so ``import artgan`` stays cheap until a model is used.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {"load", "train", "evaluate", "stylize", "list_models", "versions", "Model"}
__all__ = ["__version__", "ArtganError", *sorted(_API)]

from artgan.errors import ArtganError  # noqa: E402  (cheap, and users catch it)


def __getattr__(name: str) -> Any:
    if name in _API:
        from artgan import api

        return getattr(api, name)
    raise AttributeError(f"module 'artgan' has no attribute {name!r}")
