"""Pictures of a glyph set: one glyph black on white, or a contact sheet of all of them."""

from __future__ import annotations

from typing import Any

SHEET_CELL = 64  # pixels per glyph on a sheet
SHEET_COLUMNS = 16


def glyph_image(raster: Any) -> Any:
    """An ink-coverage raster (S×S in [0, 1]) as a black-on-white PIL ``L`` image."""
    import numpy as np
    from PIL import Image

    array = raster.detach().cpu().numpy() if hasattr(raster, "detach") else np.asarray(raster)
    return Image.fromarray(np.rint((1 - np.clip(array, 0, 1)) * 255).astype(np.uint8), "L")


def glyph_sheet(glyph_set: Any, columns: int = SHEET_COLUMNS, cell: int = SHEET_CELL) -> Any:
    """Every glyph of ``glyph_set`` on a grid of ``cell``-pixel squares, in character order, as PIL ``L``."""
    from PIL import Image

    glyphs = list(glyph_set.glyphs.values())
    rows = max(1, -(-len(glyphs) // columns))
    sheet = Image.new("L", (columns * cell, rows * cell), 255)
    for index, raster in enumerate(glyphs):
        image = glyph_image(raster).resize((cell, cell), Image.Resampling.LANCZOS)
        sheet.paste(image, ((index % columns) * cell, (index // columns) * cell))
    return sheet
