"""``Heightfield``: what the ``generate`` verb returns, a plugin-defined output type.

It is not an :class:`artgan.outputs.Images`: heights are one float per cell in ``[0, 1]``
(0 the lowest, 1 the highest), meant for 16-bit files, so the core's 8-bit raster writers
do not apply. The plugin's own writers (:mod:`artgan_heights.formats`) turn it into files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from artgan.outputs import Output

if TYPE_CHECKING:  # torch stays off the import path of `artgan plugins`
    import torch


@dataclass
class Heightfield(Output):
    """``N×H×W`` float heights in ``[0, 1]`` on the CPU, one field per generated terrain."""

    heights: torch.Tensor

    def __len__(self) -> int:
        return int(self.heights.shape[0])

    def describe(self) -> dict[str, Any]:
        n, h, w = (int(s) for s in self.heights.shape)
        return {"type": "Heightfield", "count": n, "size": [w, h]}
