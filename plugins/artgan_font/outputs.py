"""``GlyphSet``: what the font verbs return, one typeface as glyph rasters.

Each glyph is a square ink-coverage raster (float in [0, 1], 1 = ink) that spans one em,
with the baseline at :data:`artgan_font.render.BASELINE` of its height. Generated glyphs
come at the model's resolution; glyphs a user drew are kept at a finer one, as drawn, and
listed in ``drawn``. The writers (:mod:`artgan_font.formats`) vectorise them into OTF/TTF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artgan.outputs import Output

if TYPE_CHECKING:  # torch stays off the import path of `artgan plugins`
    import torch


class Glyphs(dict):
    """``char → raster`` that compares by value (tensors equal element by element)."""

    def __eq__(self, other: object) -> bool:
        import torch

        if not isinstance(other, dict) or list(self) != list(other):
            return False
        return all(a.shape == b.shape and torch.equal(a, b) for a, b in zip(self.values(), other.values()))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


@dataclass
class GlyphSet(Output):
    """One typeface: ``glyphs`` char → ``S×S`` float tensor in [0, 1] (CPU), its ``name``."""

    glyphs: dict[str, torch.Tensor]
    name: str = "Artgan Font"
    drawn: tuple[str, ...] = ()  # characters the user gave, traced as drawn
    style: list[float] = field(default_factory=list)  # the style latent used (empty when none)

    def __post_init__(self) -> None:
        self.glyphs = Glyphs(self.glyphs)

    def __len__(self) -> int:
        return len(self.glyphs)

    def describe(self) -> dict[str, Any]:
        return {"type": "GlyphSet", "name": self.name, "count": len(self.glyphs),
                "chars": "".join(self.glyphs), "drawn": "".join(self.drawn)}
