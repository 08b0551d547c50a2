"""The GAN engine: one training loop, runtime, EMA, losses, augmentation, data feeding.

``train`` is imported on first use, so inference (which needs only ``runtime``) does not
load the training machinery.
"""

from __future__ import annotations

from typing import Any

__all__ = ["train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from artgan.engine.loop import train

        return train
    raise AttributeError(f"module 'artgan.engine' has no attribute {name!r}")
