"""``artgan heights-info FILE``: the size and height range of a .pgm or .r16 heightfield."""

from __future__ import annotations

import click

from artgan.cli import emit, json_option
from artgan_heights.formats import describe_file


@click.command(name="heights-info")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--width", type=click.IntRange(min=1), help="Samples per row of a .r16 file (default: a square).")
@json_option
def heights_info(file: str, width: int | None, as_json: bool) -> None:
    """Print the size, lowest and highest height of FILE (.pgm or .r16)."""
    info = describe_file(file, width)
    w, h = info["size"]
    seed = info["provenance"].get("seed")
    text = f"{file}: {w}×{h}, min {info['min']:.4f}, max {info['max']:.4f}" + (f" (seed {seed})" if seed else "")
    emit(info, as_json, text)
