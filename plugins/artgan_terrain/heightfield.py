"""``Heightfield``: what ``generate`` returns, terrain in metres with its scale and orientation.

It is not an :class:`artgan.outputs.Images`: heights are metres, the cell size and the
orientation travel with them, and its files are 16-bit heightmaps with a JSON sidecar,
raw ``.r16`` and meshes (:mod:`artgan_terrain.formats`, :mod:`artgan_terrain.mesh`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artgan.outputs import Output

if TYPE_CHECKING:  # torch stays off the import path of `artgan plugins`
    import torch

#: Row 0 is the northern edge, column 0 the western one (image order: north up, as a map).
NORTH_UP = "row 0 = north edge, column 0 = west edge (image order, north up)"
#: Rows written the other way round (``--flip``): row 0 is the southern edge.
SOUTH_UP = "row 0 = south edge, column 0 = west edge (rows flipped: north is the last row)"


@dataclass
class Heightfield(Output):
    """``N×H×W`` float32 heights in metres on the CPU, one terrain per item."""

    heights: torch.Tensor
    cell_m: float  # side of a cell in metres (the spacing of the samples)
    labels: list[str] = field(default_factory=list)  # the landform of each item ("" for a mix)
    tileable: bool = False  # the last row and column repeat the first: tiles join edge to edge
    flipped: bool = False  # rows run south to north (see SOUTH_UP)
    mesh_step: int | None = None  # meshes keep every k-th sample (None: automatic)

    def __len__(self) -> int:
        return int(self.heights.shape[0])

    def north_first(self, index: int = 0) -> Any:
        """Terrain ``index`` as a float64 numpy ``H×W`` in metres with row 0 the northern edge,
        whichever order its rows are kept in."""
        heights = self.heights[index].detach().double().cpu().numpy()
        return heights[::-1].copy() if self.flipped else heights

    @property
    def orientation(self) -> str:
        return SOUTH_UP if self.flipped else NORTH_UP

    def describe(self) -> dict[str, Any]:
        n, h, w = (int(s) for s in self.heights.shape)
        return {"type": "Heightfield", "count": n, "size": [w, h], "cell_size_m": self.cell_m,
                "min_height_m": round(float(self.heights.min()), 3), "max_height_m": round(float(self.heights.max()), 3),
                "tileable": self.tileable, "orientation": self.orientation}
