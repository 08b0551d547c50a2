"""What verbs return: typed outputs that writers turn into files.

A verb returns an instance of an :class:`Output` subclass. The core defines :class:`Images`
(and owns its raster writers: PNG, JPEG, WebP, TIFF, BMP, GIF, folders of frames); a plugin
defines its own outputs (a glyph set, a heightfield, a mesh) and the writers for them.

Every output carries ``metadata`` (provenance the verb adds: the label, the size; the core
adds the model, seed and version) and ``report`` (figures for ``--json`` and the summary
line, e.g. a seam figure). Outputs are plain data: they never write files themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch stays off the import path of `artgan plugins`
    import torch


@dataclass
class Output:
    """Base class of everything a verb returns."""

    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)  # provenance, written into files
    report: dict[str, Any] = field(default_factory=dict, kw_only=True)  # figures for --json and the summary

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary of the output (what ``--json`` shows besides the files)."""
        return {"type": type(self).__name__}


@dataclass
class Images(Output):
    """``N×C×H×W`` float pixels in ``[-1, 1]`` with 1 (L), 3 (RGB) or 4 (RGBA) channels.

    ``bits`` is the depth files should keep (8, or 16 for formats that hold it: PNG, TIFF).
    ``sequence`` marks frames of one animation, in order: a ``.gif`` plays them, a ``.png``
    lays them out in one row. ``columns`` and ``padding`` shape the grid several images make
    in one file (``padding=0`` for pictures meant to sit edge to edge).
    """

    pixels: torch.Tensor
    bits: int = 8
    sequence: bool = False
    columns: int | None = None
    padding: int = 2

    def __len__(self) -> int:
        return int(self.pixels.shape[0])

    def describe(self) -> dict[str, Any]:
        n, c, h, w = (int(s) for s in self.pixels.shape)
        return {"type": "Images", "count": n, "channels": c, "size": [w, h], "bits": self.bits}


__all__ = ["Images", "Output"]
