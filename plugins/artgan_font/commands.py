"""``artgan font complete DIR -o F.otf`` and ``artgan font render FONT TEXT -o preview.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from artgan.cli import device_option, emit, json_option, overwrite_option, run_verb
from artgan_font import TUNE_STEPS

DEFAULT_MODEL = "font.latin"


@click.group(name="font")
def font() -> None:
    """Typefaces: complete one from a few glyph images, preview any font file."""


@font.command(name="complete")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out", required=True, help="The font to write: .otf, .ttf, a .png sheet, or a folder of glyph PNGs.")
@click.option("-m", "--model", default=DEFAULT_MODEL, show_default=True, help="Font model: a preset name or a run folder.")
@click.option("--name", default="Artgan Completed", show_default=True, help="Family name in the font's name table.")
@click.option("--steps", type=click.IntRange(min=0, max=10_000), default=100, show_default=True,
              help="Latent optimisation steps after the encoder's guess (0: the encoder alone).")
@click.option("--tune", type=click.IntRange(min=0, max=10_000), default=TUNE_STEPS, show_default=True,
              help="Steps tuning a copy of the generator on your glyphs after the latent fit (0: none).")
@click.option("--regenerate", is_flag=True, help="Draw the given characters too, instead of keeping them as drawn.")
@click.option("--invert", type=click.Choice(["auto", "true", "false"]), default="auto", show_default=True,
              help="Light ink on a dark ground (auto: guessed from the picture's border).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (the fit is deterministic; kept for provenance).")
@device_option
@overwrite_option
@json_option
def complete(inputs: tuple[str, ...], out: str, model: str, name: str, steps: int, tune: int, regenerate: bool, invert: str,
             seed: int | None, device: str, overwrite: bool, as_json: bool) -> None:
    """Complete a typeface from glyph images in INPUTS (files or folders; each file named after its
    character: A.png, a.png, 0.png, U+003F.png) and write it to --out."""
    from artgan.api import load

    loaded = load(model, device=device, verb="complete")
    options: dict[str, Any] = {"name": name, "steps": steps, "tune": tune, "keep_drawn": not regenerate,
                               "invert": None if invert == "auto" else invert}
    run_verb(loaded, "complete", list(inputs), out=out, options=options, seed=seed, overwrite=overwrite, as_json=as_json)


@font.command(name="render")
@click.argument("font_file", type=click.Path())
@click.argument("text", default="Sphinx of black quartz, judge my vow!")
@click.option("-o", "--out", required=True, help="Picture to write (.png, .jpg, .webp).")
@click.option("--size", type=click.IntRange(min=4, max=1000), default=72, show_default=True, help="Pixels per em.")
@overwrite_option
@json_option
def render(font_file: str, text: str, out: str, size: int, overwrite: bool, as_json: bool) -> None:
    """Set TEXT in FONT_FILE (any .otf/.ttf) and write a black-on-white preview to --out."""
    from artgan.files import write_files
    from artgan.images import encode_image
    from artgan.writers import suffix_of

    from artgan_font.preview import render_text

    suffix = suffix_of(out)
    if suffix not in (".png", ".jpg", ".jpeg", ".webp"):
        from artgan.errors import ArtganError

        raise ArtganError(f"write the preview as .png, .jpg or .webp, not {suffix or 'a folder'!r}; e.g. -o preview.png")
    image = render_text(font_file, text, size=size)
    data = encode_image(image, suffix, metadata={"font": Path(font_file).name, "text": text})
    files = write_files({Path(out): data}, overwrite=overwrite)
    emit({"files": [str(f) for f in files], "size": list(image.size)}, as_json, f"wrote {files[0]} ({image.width}×{image.height})")
