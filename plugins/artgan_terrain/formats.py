"""Heightmap files game engines and DCC tools import, each with a JSON sidecar, and reading them back.

| ``-o`` | file |
| --- | --- |
| ``NAME.png`` | 16-bit grey PNG (Unreal's default heightmap import; World Machine, Gaea, Blender) |
| ``NAME.tif`` | 16-bit grey TIFF |
| ``NAME.r16``, ``NAME.raw`` | raw unsigned 16-bit little-endian samples, row by row, no header (Unity's "Import Raw", byte order Windows) |
| ``NAME.glb``, ``NAME.obj`` | a mesh (:mod:`artgan_terrain.mesh`) |
| ``FOLDER/`` | ``0000.png`` + ``0000.json``, ... one heightmap per terrain |

Every heightmap gets ``NAME.json`` beside it, so the metre scale is never lost: the size,
``min_height_m``/``max_height_m`` (value 0 and 65535), the cell size, the orientation, the
Unreal import scales and the provenance. A value ``v`` is ``min_height_m + v / 65535 ·
(max_height_m − min_height_m)`` metres. Encoders only compute bytes; the core writes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from artgan.errors import ArtganError
from artgan.plugin import Writer
from artgan_terrain.heightfield import NORTH_UP, SOUTH_UP, Heightfield

MAXVAL = 65535
SIDECAR_FORMAT = "artgan-heightmap/1"
UNREAL_RANGE_AT_Z100_M = 512.0  # Unreal maps the 16-bit range onto -256 … +256 m at Z scale 100


def one_field(output: Heightfield, suffix: str) -> Any:
    """The single terrain a file holds (``N×H×W`` with N = 1), or an error saying to use a folder."""
    if len(output) != 1:
        raise ArtganError(f"a {suffix} heightmap holds one terrain, and there are {len(output)}; "
                          "write them into a folder (-o terrains/)")
    return output.heights[0]


def quantise(heights: Any) -> tuple[Any, float, float]:
    """Metres ``H×W`` → uint16 samples (0 = lowest, 65535 = highest), with the metres of 0 and 65535."""
    import numpy as np

    array = heights.detach().double().cpu().numpy() if hasattr(heights, "detach") else np.asarray(heights, dtype=np.float64)
    low, high = float(array.min()), float(array.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ArtganError("the terrain holds non-finite heights; nothing was written")
    span = high - low if high > low else 1.0
    return np.rint((array - low) / span * MAXVAL).astype(np.uint16), low, low + span


def sidecar(output: Heightfield, file: str, encoding: str, low: float, high: float, shape: tuple[int, int],
            metadata: Mapping[str, str]) -> bytes:
    """The JSON beside a heightmap: everything needed to put it back in metres."""
    height, width = shape
    cell = output.cell_m
    data = {
        "format": SIDECAR_FORMAT,
        **({"file": file} if file else {}),
        "encoding": encoding,
        "width": width,
        "height": height,
        "min_height_m": round(low, 4),
        "max_height_m": round(high, 4),
        "max_value": MAXVAL,
        "height_m": "min_height_m + value / max_value * (max_height_m - min_height_m)",
        "metres_per_value": (high - low) / MAXVAL,
        "cell_size_m": cell,
        "extent_m": [round((width - 1) * cell, 3), round((height - 1) * cell, 3)],
        "orientation": output.orientation,
        "flipped": output.flipped,
        "tileable": output.tileable,
        "unreal": {"scale_x_cm": cell * 100, "scale_y_cm": cell * 100,
                   "scale_z": round((high - low) * 100 / UNREAL_RANGE_AT_Z100_M, 6)},
        "provenance": dict(metadata),
    }
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def encode_raster(output: Heightfield, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """A 16-bit grey PNG or TIFF and its sidecar."""
    import torch

    from artgan.images import encode_image

    samples, low, high = quantise(one_field(output, suffix))
    as_tensor = torch.from_numpy(samples.astype("float64") / MAXVAL * 2 - 1)[None]
    image = encode_image(as_tensor, suffix, metadata={**metadata, "min_height_m": low, "max_height_m": high,
                                                       "cell_size_m": output.cell_m}, bits=16)
    encoding = f"16-bit grey {suffix.lstrip('.').upper()}"
    return {suffix: image, ".json": sidecar(output, "", encoding, low, high, samples.shape, metadata)}


def encode_raw(output: Heightfield, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """Raw little-endian uint16 and its sidecar (the raw file has nowhere for the size or scale)."""
    samples, low, high = quantise(one_field(output, suffix))
    encoding = "raw unsigned 16-bit little-endian, row by row, no header"
    return {suffix: samples.astype("<u2").tobytes(), ".json": sidecar(output, "", encoding, low, high, samples.shape, metadata)}


def encode_folder(output: Heightfield, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """``0000.png`` + ``0000.json`` per terrain."""
    from dataclasses import replace

    files: dict[str, bytes] = {}
    for index in range(len(output)):
        one = replace(output, heights=output.heights[index : index + 1], labels=output.labels[index : index + 1])
        pair = encode_raster(one, ".png", {**metadata, "index": str(index)})
        files[f"{index:04d}.png"] = pair[".png"]
        files[f"{index:04d}.json"] = _with_file(pair[".json"], f"{index:04d}.png")
    return files


def _with_file(blob: bytes, name: str) -> bytes:
    data = json.loads(blob)
    data["file"] = name
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def encode_glb(output: Heightfield, suffix: str, metadata: Mapping[str, str]) -> bytes:
    from artgan_terrain.mesh import encode_mesh

    return encode_mesh(output, suffix, metadata)


WRITERS: tuple[Writer, ...] = (
    Writer((".png", ".tif", ".tiff"), Heightfield, encode_raster, "16-bit grey heightmap + .json (metres, cell size)",
           sidecars=(".json",)),
    Writer((".r16", ".raw"), Heightfield, encode_raw, "raw 16-bit little-endian heightmap + .json", sidecars=(".json",)),
    Writer((".glb", ".obj"), Heightfield, encode_glb, "mesh: binary glTF (+Y up, metres) or OBJ"),
    Writer(("",), Heightfield, encode_folder, "folder with a 16-bit PNG + .json per terrain"),
)


# --------------------------------------------------------------------------- reading back
def read_heightmap(path: str | Path, *, cell_m: float | None = None, size: tuple[int, int] | None = None) -> Heightfield:
    """A heightmap file back as a one-terrain Heightfield in metres (with its sidecar), for the
    ``terrain`` commands. Without a sidecar the samples are read as metres (0–65535) on cells
    of ``cell_m`` (default 1 m); a ``.r16``/``.raw`` without one must be square or given ``size``."""
    import numpy as np
    import torch
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise ArtganError(f"{path}: no such file")
    meta: dict[str, Any] = {}
    side = path.with_suffix(".json")
    if side.is_file():
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise ArtganError(f"{side}: not a readable heightmap sidecar ({exc})") from None
    suffix = path.suffix.lower()
    if suffix in (".r16", ".raw"):
        data = path.read_bytes()
        if len(data) % 2:
            raise ArtganError(f"{path}: a raw 16-bit file has an even number of bytes, this one has {len(data)}")
        count = len(data) // 2
        width, height = size or (meta.get("width"), meta.get("height"))
        if not width or not height:
            root = math.isqrt(count)
            if root * root != count:
                raise ArtganError(f"{path}: {count} samples are not a square; give its size (its .json sidecar is missing)")
            width = height = root
        if int(width) * int(height) != count:
            raise ArtganError(f"{path}: {count} samples, but the size says {width}×{height}")
        samples = np.frombuffer(data, dtype="<u2").reshape(int(height), int(width)).astype(np.float64)
    elif suffix in (".png", ".tif", ".tiff"):
        try:
            with Image.open(path) as image:
                image.load()
                if image.mode not in ("I;16", "I;16B", "I;16L", "I", "L", "F"):
                    image = image.convert("L")
                samples = np.asarray(image, dtype=np.float64)
                top = 255.0 if image.mode == "L" else float(MAXVAL)
        except OSError as exc:
            raise ArtganError(f"{path}: cannot read it as a heightmap ({exc})") from None
        if "max_value" not in meta and top == 255.0:
            meta.setdefault("max_value", 255)
    else:
        raise ArtganError(f"{path}: not a heightmap file; give a .png, .tif, .r16 or .raw")
    if "min_height_m" in meta:
        low, high = float(meta["min_height_m"]), float(meta["max_height_m"])
        heights = low + samples / float(meta.get("max_value", MAXVAL)) * (high - low)
    else:
        heights = samples
    flipped = meta.get("orientation") == SOUTH_UP
    return Heightfield(torch.from_numpy(heights.astype(np.float32))[None], float(meta.get("cell_size_m") or cell_m or 1.0),
                       tileable=bool(meta.get("tileable", False)), flipped=flipped,
                       metadata=dict(meta.get("provenance", {})))


__all__ = ["MAXVAL", "NORTH_UP", "SOUTH_UP", "WRITERS", "read_heightmap"]
