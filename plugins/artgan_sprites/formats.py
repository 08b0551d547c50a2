"""Sprite outputs and their files: sheet + atlas, single PNGs; and the pixel-art post steps
(whole-factor nearest-neighbour scaling, palettes, binary alpha, checkered previews).

**The sheet** (``.png``) lays the sprites out on a uniform grid, row by row: every cell is
``w×h`` with ``padding`` transparent pixels between cells and around the sheet, so cell ``i``
sits at ``x = padding + (i % columns)·(w + padding)``, ``y = padding + (i // columns)·(h + padding)``.
The atlas is TexturePacker's "JSON hash" layout (``frames`` keyed by frame name with
``frame {x, y, w, h}``, ``rotated``, ``trimmed``, ``spriteSourceSize``, ``sourceSize``; a
``meta`` block with ``size``), which Phaser's ``load.atlas(key, "crowd.png", "crowd.json")``
reads; each frame also carries ``class`` and ``seed`` (extra keys that loaders ignore). It is
written beside the sheet, ``crowd.png`` → ``crowd.json`` (a sidecar of the ``.png`` writer);
``meta.image`` is left out, since a writer does not learn the file's name and loaders are
given the picture's path anyway. Because the grid is uniform, engines that slice a
sheet by cell size (Unity's Sprite Editor "Grid By Cell Size", Godot's SpriteFrames "Add
frames from sprite sheet" with separation/offset) take it without the atlas too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from artgan.outputs import Images


@dataclass
class Sprites(Images):
    """RGBA sprites ``N×4×H×W`` in ``[-1, 1]`` (straight alpha) with a name, class and seed each."""

    names: list[str] = field(default_factory=list)  # frame names, e.g. "0003_tree"
    classes: list[str] = field(default_factory=list)  # class name of each sprite ("mix" for a blend)
    seeds: list[int] = field(default_factory=list)  # the seed that makes each sprite alone (see generate)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "type": "Sprites", "classes": sorted(set(self.classes))}


# ---------------------------------------------------------------------------- the sheet
def layout(count: int, width: int, height: int, columns: int | None, padding: int) -> list[tuple[int, int]]:
    """Top-left ``(x, y)`` of each of ``count`` cells on the sheet (row by row)."""
    across = columns or math.ceil(math.sqrt(count))
    return [(padding + (i % across) * (width + padding), padding + (i // across) * (height + padding)) for i in range(count)]


def atlas(output: Sprites) -> dict[str, Any]:
    """The TexturePacker "JSON hash" atlas of ``output``'s sheet."""
    n, _, h, w = (int(s) for s in output.pixels.shape)
    columns = output.columns or (n if output.sequence else None)
    places = layout(n, w, h, columns, output.padding)
    across = columns or math.ceil(math.sqrt(n))
    sheet_w = across * (w + output.padding) + output.padding
    sheet_h = math.ceil(n / across) * (h + output.padding) + output.padding
    frames = {
        name: {"frame": {"x": x, "y": y, "w": w, "h": h}, "rotated": False, "trimmed": False,
               "spriteSourceSize": {"x": 0, "y": 0, "w": w, "h": h}, "sourceSize": {"w": w, "h": h},
               "class": cls, "seed": seed}
        for name, (x, y), cls, seed in zip(output.names, places, output.classes, output.seeds)
    }
    meta: dict[str, Any] = {"app": "artgan sprites", "format": "RGBA8888", "size": {"w": sheet_w, "h": sheet_h},
                            "scale": "1", "grid": {"cell": [w, h], "padding": output.padding, "columns": across}}
    return {"frames": frames, "meta": meta}


def encode_sheet(output: Sprites, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """The sprites on one RGBA sheet (``.png``) and its atlas beside it (``.json``)."""
    from artgan.images import encode_image, make_grid

    pixels = output.pixels.detach().float().cpu()
    columns = output.columns or (len(output) if output.sequence else None)
    sheet = make_grid(pixels, columns, padding=output.padding)  # padding is -1: transparent
    return {".png": encode_image(sheet, ".png", metadata=metadata),
            ".json": (json.dumps(atlas(output), indent=1) + "\n").encode()}


def encode_folder(output: Sprites, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """One RGBA PNG per sprite, named by frame (``0000_tree.png``), with its class and seed."""
    from artgan.images import encode_image

    return {
        f"{name}.png": encode_image(image, ".png", metadata={**metadata, "class": cls, "seed": str(seed)})
        for name, image, cls, seed in zip(output.names, output.pixels.detach().float().cpu(), output.classes, output.seeds)
    }


# ---------------------------------------------------------------------------- pixel-art steps
def scale_nearest(pixels: Any, factor: int) -> Any:
    """Every pixel as a ``factor×factor`` block (exact nearest-neighbour, whole factors only)."""
    return pixels.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)


def _with_alpha(pixels: Any, alpha: Any) -> Any:
    """``pixels``' colour under a new ``alpha`` (``N×1×H×W``), cleared where that alpha is off."""
    import torch

    rgb = torch.where(alpha > -1, pixels[:, :3], torch.full_like(pixels[:, :3], -1.0))
    return torch.cat([rgb, alpha], dim=1)


def binarise_alpha(pixels: Any) -> Any:
    """Alpha fully on or fully off (cut at one half); colour cleared where it is off."""
    import torch

    return _with_alpha(pixels, torch.where(pixels[:, 3:] >= 0, 1.0, -1.0))


DEFAULT_ALPHA_SNAP = 4  # generate's --alpha-snap: up to 4/255 (1.6 %) opacity is invisible on any background


def snap_alpha(pixels: Any, levels: int) -> Any:
    """Alpha that 8 bits would store as levels 1…``levels`` set fully off, and as
    255−``levels``…254 fully on; colour cleared where alpha is off. A sigmoid never reaches 0
    or 1, so without this the "empty" pixels of a soft-alpha sprite keep an invisible 1–3/255
    haze (and its solid parts pin-holes) that stops sprite packers trimming it. 0 keeps alpha."""
    import torch

    cut = (levels + 0.5) / 127.5 if levels > 0 else 0.0  # in [-1, 1] units, to the rounding edge
    alpha = pixels[:, 3:]
    return _with_alpha(pixels, torch.where(alpha < -1 + cut, -1.0, torch.where(alpha > 1 - cut, 1.0, alpha)))


def kmeans_palette(colours: Any, k: int, iterations: int = 12) -> Any:
    """``k`` colours (``k×3``) that summarise ``colours`` (``M×3``): k-means, seeded
    deterministically from colours spread along their luminance order."""
    import torch

    k = min(k, int(colours.shape[0]))
    order = colours.mul(torch.tensor([0.299, 0.587, 0.114])).sum(1).argsort()
    centres = colours[order[torch.linspace(0, len(order) - 1, k).round().long()]].clone()
    for _ in range(iterations):
        nearest = torch.cdist(colours, centres).argmin(1)
        for j in range(k):
            members = colours[nearest == j]
            if len(members):
                centres[j] = members.mean(0)
    return centres


def quantise(pixels: Any, palette: Any | int) -> Any:
    """Each sprite's visible colours mapped to the nearest of a palette: a given one (``P×3``
    in ``[-1, 1]``), or, for an ``int``, that many colours chosen per sprite by k-means on its
    visible pixels. Alpha is kept; transparent pixels stay as they are."""
    import torch

    out = pixels.clone()
    for i, sprite in enumerate(pixels):
        visible = sprite[3] > -1
        colours = sprite[:3].permute(1, 2, 0)[visible]
        if len(colours) == 0:
            continue
        centres = kmeans_palette(colours, palette) if isinstance(palette, int) else palette
        mapped = centres[torch.cdist(colours, centres).argmin(1)]
        rgb = out[i, :3].permute(1, 2, 0)
        rgb[visible] = mapped
        out[i, :3] = rgb.permute(2, 0, 1)
    return out


def palette_from_image(path: str, limit: int = 256) -> Any:
    """The distinct visible colours of a palette image (a strip of swatches), ``P×3`` in ``[-1, 1]``."""
    import torch

    from artgan.errors import ArtganError
    from artgan.images import read_image

    import numpy as np

    image = read_image(path, "RGBA")
    data = torch.from_numpy(np.array(image, dtype=np.float32).reshape(-1, 4))
    colours = torch.unique(data[data[:, 3] > 0][:, :3], dim=0)
    if len(colours) == 0:
        raise ArtganError(f"{path}: the palette image has no visible pixels; give a strip of colour swatches")
    if len(colours) > limit:
        raise ArtganError(f"{path}: the palette image has {len(colours)} colours, more than {limit}; "
                          f"give one with at most {limit}, or a number such as --palette 16")
    return colours / 127.5 - 1


def on_checker(pixels: Any, square: int = 4) -> Any:
    """RGBA sprites composited over a grey checkerboard (RGB), so transparency shows."""
    import torch

    n, _, h, w = pixels.shape
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    board = torch.where(((ys // square + xs // square) % 2) == 0, 0.6, 0.85).expand(n, 3, h, w)
    colour, alpha = (pixels[:, :3] + 1) / 2, (pixels[:, 3:] + 1) / 2
    return (colour * alpha + board * (1 - alpha)) * 2 - 1


def encode_preview(output: Sprites, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """A contact sheet over a checkerboard (JPEG keeps no alpha, so transparency is shown)."""
    from artgan.images import encode_image, make_grid

    pixels = output.pixels.detach().float().cpu()
    columns = output.columns or (len(output) if output.sequence else None)
    square = max(2, pixels.shape[-1] // 8)
    sheet = make_grid(pixels, columns, padding=output.padding)
    return encode_image(on_checker(sheet[None], square)[0], suffix, metadata=metadata)
