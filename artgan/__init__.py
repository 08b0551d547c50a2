"""artgan: generative adversarial networks for art, with a plugin ecosystem.

The API is imported lazily, so ``import artgan`` stays cheap until a model is used.
"""

from __future__ import annotations

from typing import Any

from artgan._version import __version__
from artgan.errors import ArtganError

_API = {"load", "run", "write", "to_pil", "train", "evaluate", "list_models", "versions", "Model"}
__all__ = ["__version__", "ArtganError", *sorted(_API)]


def __getattr__(name: str) -> Any:
    if name in _API:
        from artgan import api

        return getattr(api, name)
    raise AttributeError(f"module 'artgan' has no attribute {name!r}")
