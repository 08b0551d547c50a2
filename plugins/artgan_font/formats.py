"""File formats of :class:`~artgan_font.outputs.GlyphSet`.

- ``.otf``: OpenType with CFF (cubic) outlines; ``.ttf``: TrueType (quadratic) outlines.
  Both are built by :mod:`artgan_font.fontfile` from the traced glyphs and carry the
  provenance in the name table's description (ID 10).
- ``.png``: a contact sheet of every glyph, black on white, in character order.
- a folder: one PNG per glyph, named as ``artgan font complete`` reads them back
  (``a.png``, ``U+0041.png``), so a set can be edited and completed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artgan.plugin import Writer
from artgan_font.outputs import GlyphSet


def encode_font(output: Any, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """The glyph set as an installable font (``.otf`` CFF or ``.ttf`` TrueType)."""
    from artgan_font.fontfile import build_font

    description = "; ".join(f"{k}={v}" for k, v in metadata.items())
    return build_font(output, "otf" if suffix == ".otf" else "ttf", description=description).data


def encode_sheet(output: Any, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """Every glyph on a grid, black ink on white, as a PNG with provenance."""
    from artgan.images import encode_image
    from artgan_font.sheet import glyph_sheet

    return encode_image(glyph_sheet(output), suffix, metadata=dict(metadata))


def encode_folder(output: Any, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """One black-on-white PNG per glyph, named after its character."""
    from artgan.images import encode_image
    from artgan_font.charset import file_stem
    from artgan_font.sheet import glyph_image

    return {f"{file_stem(char)}.png": encode_image(glyph_image(raster), ".png", metadata=dict(metadata))
            for char, raster in output.glyphs.items()}


WRITERS: tuple[Writer, ...] = (
    Writer((".otf",), GlyphSet, encode_font, "OpenType font, CFF outlines"),
    Writer((".ttf",), GlyphSet, encode_font, "TrueType font"),
    Writer((".png",), GlyphSet, encode_sheet, "contact sheet of every glyph"),
    Writer(("",), GlyphSet, encode_folder, "folder with one PNG per glyph (A.png → U+0041.png, a.png)"),
)
