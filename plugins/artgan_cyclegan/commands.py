"""``artgan stylize``: repaint photos, folders or stdin in a style, with the options artists use."""

from __future__ import annotations

import click

from artgan.cli import device_option, json_option, overwrite_option, run_verb, skip_existing_option
from artgan.errors import ArtganError
from artgan_cyclegan import DEFAULT_STYLE


@click.command(name="stylize")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--style", "-s", default=DEFAULT_STYLE, show_default=True,
              help="A style name (see `artgan models`) or a run/checkpoint folder.")
@click.option("-o", "--out", type=click.Path(), help="Output file (one input) or folder; default: beside each input.")
@click.option("--max-size", type=click.IntRange(min=8), help="Shrink inputs so the longer side is at most this many pixels.")
@click.option("--strength", default=1.0, show_default=True, type=click.FloatRange(0, 1),
              help="Blend with the original: 0 = unchanged, 1 = fully styled.")
@click.option("--preserve-color", is_flag=True, help="Keep the photo's colours; take the style's light and texture.")
@overwrite_option
@skip_existing_option
@device_option
@json_option
def stylize_command(inputs: tuple[str, ...], style: str, out: str | None, max_size: int | None, strength: float,
                    preserve_color: bool, overwrite: bool, skip_existing: bool, device: str, as_json: bool) -> None:
    """Repaint INPUTS (files, folders, or - for stdin → stdout) in a painter's style."""
    from artgan_cyclegan.quick import stylize_quickly

    options = {"max_size": max_size, "strength": strength, "preserve_color": preserve_color}
    # one picture in a shipped style: onnxruntime, without importing torch, where it gives the same pixels
    if stylize_quickly(inputs, style, out, options, overwrite=overwrite, skip_existing=skip_existing, device=device,
                       as_json=as_json):
        return
    from artgan.api import load

    model = load(style, device=device, verb="stylize")
    if "stylize" not in model.verbs:
        raise ArtganError(f"{model.name} is not a style (it can: {', '.join(model.verbs)}); see `artgan models`")
    run_verb(model, "stylize", list(inputs), out=out, options=options, overwrite=overwrite, as_json=as_json,
             skip_existing=skip_existing)
