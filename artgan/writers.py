"""Output files chosen by suffix: the core's raster writers and the table plugins extend.

The core writes :class:`~artgan.outputs.Images` as PNG, JPEG, WebP, BMP or TIFF (one picture,
or a grid of several; 16 bits per channel where the output asks for it and PNG or TIFF can
hold it), as a looping GIF of a sequence, or as a folder with one PNG per image. A plugin's
:class:`~artgan.plugin.Writer` adds formats for its own outputs (or new ones for images).
Whatever the format, the files are written by :mod:`artgan.files`: atomically, never over an
existing file unless asked, with provenance in the metadata.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from artgan.errors import ArtganError
from artgan.files import check_writable, refuse_existing, write_files
from artgan.images import RASTER_FORMATS, encode_animation, encode_image, make_grid, to_pil
from artgan.outputs import Images, Output
from artgan.plugin import Writer

FOLDER = ""  # the suffix key of a folder output
_DEEP = {"PNG", "TIFF"}  # formats that keep 16 bits per channel


def encode_raster(output: Images, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """One image, or a grid of all of them (a row for a sequence), in the format of ``suffix``."""
    pixels = output.pixels.detach().float().cpu()
    count = len(output)
    if count == 1:
        picture = pixels[0]
    else:
        columns = output.columns or (count if output.sequence else None)
        import math

        from artgan.memory import check_fits

        across = columns or math.ceil(math.sqrt(count))  # as make_grid lays them out
        down = math.ceil(count / across)
        grid = (down * (pixels.shape[-2] + output.padding) + output.padding) * (across * (pixels.shape[-1] + output.padding) + output.padding)
        check_fits(46 * grid, f"a grid of {count} images ({grid / 1e6:,.1f} Mpx)",  # the float grid, then its encoding
                   "write them to a folder instead (an -o path without a file suffix: one PNG each), or ask for fewer or smaller images")
        picture = make_grid(pixels, columns, padding=output.padding)
        metadata = {**metadata, "count": str(count)}
    bits = output.bits if RASTER_FORMATS[suffix] in _DEEP else 8
    return encode_image(picture, suffix, metadata=metadata, bits=bits)


def encode_gif(output: Images, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """The frames of a sequence as a GIF that loops forward and back."""
    if not output.sequence:
        raise ArtganError("a .gif is an animation, and this output is not a sequence of frames; write a .png (a grid) or a folder")
    return encode_animation([to_pil(frame) for frame in output.pixels], metadata=metadata)


def encode_folder(output: Images, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """One PNG per image, ``0000.png`` onwards (16-bit where the output is)."""
    return {
        f"{index:04d}.png": encode_image(image, ".png", metadata={**metadata, "index": str(index)}, bits=output.bits)
        for index, image in enumerate(output.pixels.detach().float().cpu())
    }


CORE_WRITERS: tuple[Writer, ...] = (
    Writer(tuple(RASTER_FORMATS), Images, encode_raster, "image (a grid when there are several)"),
    Writer((".gif",), Images, encode_gif, "looping animation of a sequence"),
    Writer((FOLDER,), Images, encode_folder, "folder with one PNG per image"),
)


def table(output_type: type, extra: Iterable[Writer] = ()) -> dict[str, Writer]:
    """Suffix → writer for ``output_type``: the plugin's writers first, then the core's."""
    found: dict[str, Writer] = {}
    for writer in [*extra, *CORE_WRITERS]:
        if issubclass(output_type, writer.output):
            for suffix in writer.suffixes:
                found.setdefault(suffix, writer)
    return found


def suffix_of(path: str | os.PathLike) -> str:
    """The lowercase suffix that picks the writer; a folder (no suffix, a trailing slash or an
    existing folder) is :data:`FOLDER`."""
    text = os.fspath(path)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return FOLDER
    return Path(text).suffix.lower()


def choose(path: str | os.PathLike, output_type: type, extra: Iterable[Writer] = ()) -> Writer:
    """The writer for ``path``, or an error that lists what this output can be written as."""
    options = table(output_type, extra)
    suffix = suffix_of(path)
    if suffix not in options:
        kinds = ", ".join(s for s in options if s) + (", or a folder" if FOLDER in options else "")
        what = type(output_type).__name__ if not isinstance(output_type, type) else output_type.__name__
        raise ArtganError(f"{os.fspath(path)}: cannot write {what} as {suffix or 'a folder'!r}; write one of {kinds or 'nothing'}")
    return options[suffix]


def check_target(path: str | os.PathLike, output_type: type, extra: Iterable[Writer] = (), *, overwrite: bool = False) -> None:
    """Refuse, before any work is done, a path no writer takes, a file that would be overwritten,
    or a place that cannot be written."""
    writer = choose(path, output_type, extra)
    if suffix_of(path) != FOLDER:
        paths = [Path(path), *(sidecar(Path(path), ending) for ending in writer.sidecars)]
        refuse_existing(paths, overwrite)
        check_writable(paths)
    else:
        check_writable([Path(path) / "0000"])


def sidecar(path: Path, ending: str) -> Path:
    """The file ``ending`` names beside ``path``: ``peak.png`` + ``.json`` → ``peak.json``."""
    return path.with_name(path.stem + ending)


def write_output(output: Output, path: str | os.PathLike, *, writers: Iterable[Writer] = (),
                 metadata: Mapping[str, str] | None = None, overwrite: bool = False) -> list[Path]:
    """Write ``output`` to ``path`` with the writer its suffix picks; return the files written."""
    writer = choose(path, type(output), writers)
    suffix = suffix_of(path)
    provenance = {**{k: str(v) for k, v in output.metadata.items()}, **(metadata or {})}
    data = writer.encode(output, suffix, provenance)
    target = Path(path)
    if isinstance(data, (bytes, bytearray)):
        files = {target: bytes(data)}
    elif isinstance(data, Mapping) and suffix != FOLDER:
        unknown = [k for k in data if k != suffix and k not in writer.sidecars]
        if unknown or suffix not in data:
            raise TypeError(f"writer for {suffix!r} returned files {sorted(data)}; it may return {suffix!r} and its "
                            f"declared sidecars {list(writer.sidecars)}")
        files = {target if ending == suffix else sidecar(target, ending): bytes(blob) for ending, blob in data.items()}
    elif isinstance(data, Mapping):
        files = {target / name: bytes(blob) for name, blob in data.items()}
    else:
        raise TypeError(f"writer for {suffix!r} returned {type(data).__name__}, not bytes or a dict of them")
    return write_files(files, overwrite=overwrite)
