"""``artgan terrain ...``: work with heightmap files, whoever made them.

- ``preview HEIGHTMAP -o shaded.png``: hillshade + hypsometric colour;
- ``maps HEIGHTMAP -o DIR``: a tangent-space normal map (OpenGL or DirectX) and a splat map;
- ``mesh HEIGHTMAP -o terrain.glb``: a glTF or OBJ mesh;
- ``info HEIGHTMAP``: size, metres, cell size, orientation (``--json`` too).

A heightmap is a 16-bit ``.png``/``.tif`` or a raw ``.r16``/``.raw``, read in metres through
the ``.json`` sidecar artgan writes beside it (without one, samples are metres and cells
``--cell-size`` metres).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from artgan.cli import emit, json_option, overwrite_option

heightmap_argument = click.argument("heightmap", type=click.Path(dir_okay=False))
cell_option = click.option("--cell-size", type=click.FloatRange(min=0, min_open=True), default=None,
                           help="Metres between samples, for a heightmap without a .json sidecar (default 1).")


def _read(path: str, cell_size: float | None) -> Any:
    from artgan_terrain.formats import read_heightmap

    return read_heightmap(path, cell_m=cell_size)


def _write_image(pixels: Any, out: str, overwrite: bool, metadata: dict[str, Any], bits: int = 8) -> list[Path]:
    """``H×W×C`` floats in [0, 1] to ``out`` through the core's writers (atomic, no overwrite)."""
    import torch

    from artgan.outputs import Images
    from artgan.writers import check_target, write_output

    check_target(out, Images, overwrite=overwrite)
    tensor = torch.from_numpy(pixels).float().permute(2, 0, 1)[None] * 2 - 1
    return write_output(Images(tensor, bits=bits, metadata=metadata), out, overwrite=overwrite)


@click.group(name="terrain")
def terrain() -> None:
    """Heightmap tools: preview, maps, mesh, info."""


@terrain.command()
@heightmap_argument
@click.option("-o", "--out", required=True, type=click.Path(), help="The shaded picture (.png, .jpg, ...).")
@cell_option
@overwrite_option
def preview(heightmap: str, out: str, cell_size: float | None, overwrite: bool) -> None:
    """Shade HEIGHTMAP for a look: hypsometric colour (blue below sea level) under a hillshade lit from the north-west."""
    from artgan_terrain.maps import shaded_relief

    field = _read(heightmap, cell_size)
    written = _write_image(shaded_relief(field.north_first(), field.cell_m), out, overwrite,
                           {"source": Path(heightmap).name, "kind": "shaded relief"})
    click.echo(f"wrote {', '.join(map(str, written))}")


@terrain.command()
@heightmap_argument
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Folder for the maps.")
@click.option("--normal", "convention", type=click.Choice(["opengl", "directx"]), default="opengl", show_default=True,
              help="Normal map convention: green up (OpenGL, Y+) or down (DirectX, Y−).")
@click.option("--rock-slope", type=click.FloatRange(0, 90), default=35.0, show_default=True,
              help="Slope in degrees from which the splat map paints rock.")
@click.option("--snow-line", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Share of the height range above which gentle ground is snow.")
@cell_option
@overwrite_option
def maps(heightmap: str, out: str, convention: str, rock_slope: float, snow_line: float, cell_size: float | None,
         overwrite: bool) -> None:
    """Write NAME_normal.png (tangent-space, 16-bit) and NAME_splat.png (RGBA layer weights) for HEIGHTMAP into a folder.

    Splat channels: R lowland, G upland grass, B rock (steep), A snow; they sum to 1. Both maps
    keep the heightmap's row order, so they line up with it in the engine.
    """
    import numpy as np

    from artgan_terrain.maps import normal_map, splat_weights

    from artgan.outputs import Images
    from artgan.writers import check_target

    field = _read(heightmap, cell_size)
    heights = field.north_first()
    stem = Path(heightmap).stem
    folder = Path(out)
    for name in (f"{stem}_normal.png", f"{stem}_splat.png"):  # refuse before writing either
        check_target(folder / name, Images, overwrite=overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    normals = normal_map(heights, field.cell_m, convention, wrap=field.tileable)
    splat = splat_weights(heights, field.cell_m, rock_slope=rock_slope, snow_line=snow_line, wrap=field.tileable)
    if field.flipped:  # back to the file's own row order
        normals, splat = normals[::-1].copy(), splat[::-1].copy()
    meta = {"source": Path(heightmap).name}
    written = _write_image((normals + 1) / 2, str(folder / f"{stem}_normal.png"), overwrite,
                           {**meta, "kind": f"tangent-space normal map ({convention})"}, bits=16)
    written += _write_image(np.ascontiguousarray(splat), str(folder / f"{stem}_splat.png"), overwrite,
                            {**meta, "kind": "splat weights: R lowland, G grass, B rock, A snow"})
    click.echo(f"wrote {', '.join(map(str, written))}")


@terrain.command()
@heightmap_argument
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="The mesh: .glb or .obj.")
@click.option("--mesh-step", type=click.IntRange(min=1), default=None,
              help="Keep every k-th sample (default: 1, or what keeps the mesh within 1025² samples).")
@cell_option
@overwrite_option
def mesh(heightmap: str, out: str, mesh_step: int | None, cell_size: float | None, overwrite: bool) -> None:
    """Turn HEIGHTMAP into a mesh (.glb: binary glTF, +Y up, metres; or .obj)."""
    from dataclasses import replace

    from artgan_terrain import plugin
    from artgan.writers import check_target, write_output

    field = replace(_read(heightmap, cell_size), mesh_step=mesh_step)
    check_target(out, type(field), plugin.writers, overwrite=overwrite)
    written = write_output(field, out, writers=plugin.writers, overwrite=overwrite)
    click.echo(f"wrote {', '.join(map(str, written))}")


@terrain.command()
@heightmap_argument
@cell_option
@json_option
def info(heightmap: str, cell_size: float | None, as_json: bool) -> None:
    """Print the size, height range in metres, cell size and orientation of HEIGHTMAP."""
    field = _read(heightmap, cell_size)
    data = {"file": heightmap, **field.describe(), "provenance": field.metadata}
    w, h = data["size"]
    text = (f"{heightmap}: {w}×{h} samples, {data['min_height_m']:.1f} to {data['max_height_m']:.1f} m, "
            f"cells {field.cell_m:g} m ({(w - 1) * field.cell_m / 1000:.2f} × {(h - 1) * field.cell_m / 1000:.2f} km), "
            f"{field.orientation}" + (", tileable" if field.tileable else ""))
    emit(data, as_json, text)
