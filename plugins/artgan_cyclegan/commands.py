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
@click.option("--style-image", type=click.Path(exists=True, dir_okay=False),
              help="Learn the style from this one painting instead: the first call trains (see --minutes), later ones "
                   "load it from the cache.")
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="With --style-image: the most minutes the first call may train.")
@click.option("--photos", help="With --style-image: photos to learn from beside the painting (folder or .txt list); "
                               "default: INPUTS.")
@overwrite_option
@skip_existing_option
@device_option
@json_option
@click.pass_context
def stylize_command(ctx: click.Context, inputs: tuple[str, ...], style: str, out: str | None, max_size: int | None,
                    strength: float, preserve_color: bool, style_image: str | None, minutes: float, photos: str | None,
                    overwrite: bool, skip_existing: bool, device: str, as_json: bool) -> None:
    """Repaint INPUTS (files, folders, or - for stdin → stdout) in a painter's style."""
    from click.core import ParameterSource

    from artgan_cyclegan.quick import stylize_quickly

    given = {name for name in ("style", "minutes", "photos") if ctx.get_parameter_source(name) != ParameterSource.DEFAULT}
    if style_image is None and given & {"minutes", "photos"}:
        raise ArtganError(f"--{sorted(given - {'style'})[0]} only applies with --style-image PAINTING")
    if style_image is not None:
        if "style" in given:
            raise ArtganError("give --style or --style-image, not both")
        from artgan_cyclegan.style_image import learn_style

        style = str(learn_style(style_image, [photos] if photos else list(inputs), minutes=minutes, device=device,
                                progress=not as_json))
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
