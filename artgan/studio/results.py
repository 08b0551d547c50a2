"""This session's results: the files written for them, the previews the page shows, the gallery.

A result's file is written the moment the verb returns, in full resolution, by the core's
writers (:func:`artgan.writers.write_output`: atomic, never over an existing file, with the
model, verb, seed, options and artgan version embedded), under a numbered name in the
studio's output folder. Other formats the output can take are written on request. Previews
are small pictures kept in memory only, for the page; they are never files.
"""

from __future__ import annotations

import dataclasses
import io
import re
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artgan.outputs import Images, Output

PREVIEW_SIDE = 768  # longest side of a single picture's preview
GRID_PREVIEW_SIDE = 256  # of each picture's preview when there are several
MAX_PREVIEWS = 64  # pictures of one output shown on the page (all of them are in the file)
PREVIEW_FILE_BYTES = 16 * 2**20  # a plugin's own picture format is shown when its file is at most this big


@dataclass
class Preview:
    """A picture for the page, in memory: the bytes and their MIME type."""

    data: bytes
    mime: str


@dataclass
class Result:
    """One finished run: what made it, what was written, what the page shows."""

    id: str  # "r1", "r2", ...
    model: str
    verb: str
    seed: int | None
    settings: dict[str, str]  # the options that differ from their defaults, as typed
    command: str  # the equivalent `artgan` command line
    kind: str  # how the page shows it: image, grid, tiles, sequence, other
    files: list[Path] = field(default_factory=list)  # what was written, the main file first
    previews: list[Preview] = field(default_factory=list)
    upload: str | None = None  # id of the picture it was made from, for before/after
    summary: dict[str, Any] = field(default_factory=dict)  # describe() and report of the output
    formats: list[str] = field(default_factory=list)  # suffixes the output can be written as ("" a folder)
    seconds: float = 0.0  # time the verb took
    created: float = field(default_factory=time.time)
    output: Output | None = None  # kept while recent, for writing other formats

    def page(self) -> dict[str, Any]:
        """What the page gets: everything but the output and the bytes, with their addresses."""
        written = {_format_of(f) for f in self.files}
        return {
            "id": self.id, "model": self.model, "verb": self.verb, "seed": self.seed, "settings": self.settings,
            "command": self.command, "kind": self.kind, "summary": self.summary, "seconds": self.seconds,
            "created": self.created, "before": f"/uploads/{self.upload}/preview" if self.upload else None,
            "files": [{"name": f.name, "url": f"/files/{self.id}/{i}", "format": _format_of(f), "path": str(f)}
                      for i, f in enumerate(self.files)],
            "previews": [f"/previews/{self.id}/{i}" for i in range(len(self.previews))],
            "more_formats": [s or "folder" for s in self.formats if (s or "folder") not in written] if self.output else [],
        }


def _format_of(path: Path) -> str:
    return path.suffix.lower() if path.suffix else "folder"


# --------------------------------------------------------------------------- names
def safe_stem(text: str) -> str:
    """A file-name-safe version of a model name or picture name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "result"


def numbered(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/NNNN_stem.suffix`` with the first number not taken by any file there."""
    taken = {int(m.group(1)) for p in folder.glob("*_*") if (m := re.match(r"(\d{4,})_", p.name))} if folder.is_dir() else set()
    number = max(taken, default=0) + 1
    while (folder / f"{number:04d}_{stem}{suffix}").exists():
        number += 1
    return folder / f"{number:04d}_{stem}{suffix}"


# --------------------------------------------------------------------------- previews
def picture_preview(pixels: Any, side: int = PREVIEW_SIDE) -> Preview:
    """A ``C×H×W`` picture in ``[-1, 1]`` shrunk to at most ``side`` pixels, as PNG (with alpha
    or grey) or JPEG (colour)."""
    import torch.nn.functional as F

    from artgan.images import encode_image

    pixels = pixels.detach().float().cpu()
    height, width = pixels.shape[-2:]
    scale = side / max(height, width)
    if scale < 1:
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        pixels = F.interpolate(pixels[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]
    if pixels.shape[0] == 3:
        return Preview(encode_image(pixels, ".jpg", quality=90), "image/jpeg")
    return Preview(encode_image(pixels, ".png"), "image/png")


def image_previews(output: Images) -> list[Preview]:
    """One preview per picture of ``output`` (up to :data:`MAX_PREVIEWS`)."""
    side = PREVIEW_SIDE if len(output) == 1 else GRID_PREVIEW_SIDE
    return [picture_preview(picture, side) for picture in output.pixels[:MAX_PREVIEWS]]


def upload_preview(image: Any) -> Preview:
    """A decoded upload (a PIL image, upright) shrunk for the before/after view."""
    from artgan.images import as_mode, to_8bit, to_tensor

    image = to_8bit(image)
    image = as_mode(image, "RGBA" if image.mode in ("RGBA", "LA") else "RGB")
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return picture_preview(to_tensor(image))


def writer_preview(output: Output, writers: Any) -> Preview | None:
    """For an output of a plugin's own type: a picture of it, if one of its writers makes a
    format a browser shows (the first of :data:`~artgan.studio.catalog.BROWSER_PICTURES` it takes)."""
    from artgan.studio.catalog import BROWSER_PICTURES
    from artgan.writers import table

    offered = table(type(output), writers)
    for suffix in BROWSER_PICTURES:
        if suffix in offered:
            data = offered[suffix].encode(output, suffix, {k: str(v) for k, v in output.metadata.items()})
            if isinstance(data, Mapping) and getattr(offered[suffix], "sidecars", ()):  # the main file and files beside it
                data = data.get(suffix)
            if isinstance(data, (bytes, bytearray)) and len(data) <= PREVIEW_FILE_BYTES:
                mime = {".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(suffix, f"image/{suffix[1:]}")
                return Preview(bytes(data), mime)
    return None


def is_tileable(output: Output, options: Any) -> bool:
    """Whether a ``tileable`` option was on: given, or set by a preset (provenance records it)."""
    return getattr(options, "tileable", False) is True or output.metadata.get("tileable") is True


def kind_of(output: Output, options: Any) -> str:
    """How the page shows ``output``: a sequence, a tiling preview (a ``tileable`` option that is
    on), a grid of several pictures, one picture, or a plugin's own type."""
    if not isinstance(output, Images):
        return "other"
    if output.sequence:
        return "sequence"
    if is_tileable(output, options):
        return "tiles"
    return "grid" if len(output) > 1 else "image"


def output_bytes(output: Output) -> int:
    """Memory an output's arrays hold (tensors and numpy arrays among its fields)."""
    total = 0
    for f in dataclasses.fields(output):
        value = getattr(output, f.name)
        if hasattr(value, "element_size") and hasattr(value, "numel"):  # a torch tensor
            total += int(value.numel()) * int(value.element_size())
        elif hasattr(value, "nbytes"):  # a numpy array
            total += int(value.nbytes)
    return total


def zip_folder(folder: Path) -> bytes:
    """The files of a folder output as one zip archive, for a single download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(folder.parent).as_posix())
    return buffer.getvalue()
