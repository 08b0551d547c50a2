"""The only place that turns image files into tensors and tensors back into files.

Reading respects EXIF orientation, converts any mode (palette, CMYK, 16-bit, with or
without alpha) to RGB/L, refuses decompression bombs, and turns every decoding failure into
an :class:`~artgan.errors.ArtganError` that names the file; :func:`read_tensor` keeps the
full precision of 16-bit grey images. Encoding writes PNG, JPEG, WebP, BMP and TIFF at 8
bits, PNG and TIFF at 16 bits too, GIF animations, with provenance in the metadata. Files
are written by :mod:`artgan.files` (atomic, never overwriting unless asked). Tensors are
float ``C×H×W`` (or ``N×C×H×W``) in ``[-1, 1]``.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from artgan.errors import ArtganError

if TYPE_CHECKING:
    import torch

#: File suffixes read as images when listing a folder.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
#: Images larger than this many pixels are refused (a 16384×16384 image is the limit).
MAX_PIXELS = 16384 * 16384
#: Raster formats :func:`encode_image` writes, by suffix.
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


# --------------------------------------------------------------------------- reading
def open_image(source: str | os.PathLike | BinaryIO, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode an image fully, upright (EXIF orientation applied), in its own mode."""
    name = _describe(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
            width, height = image.size
            if width * height > max_pixels:
                raise ArtganError(
                    f"{name}: {width}×{height} pixels is over the limit of {max_pixels:,} "
                    "(a decompression bomb?); downscale the image first"
                )
            image.load()
    except ArtganError:
        raise
    except FileNotFoundError:
        raise ArtganError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ArtganError(f"{name}: is a folder, not an image") from None
    except Image.DecompressionBombError as exc:
        raise ArtganError(f"{name}: refused as a decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        raise ArtganError(f"{name}: not an image file, or a format Pillow cannot read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ArtganError(f"{name}: the image is corrupt or truncated ({exc})") from None
    return ImageOps.exif_transpose(image)


_DEEP_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # grey modes with more than 8 bits


def _grey_fraction(image: Image.Image) -> np.ndarray:
    """A deep grey image's values over its full scale (65535 for 16-bit, else 255 unless exceeded)."""
    array = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
    return array / top


def to_8bit(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to ``RGB``, ``RGBA``, ``L`` or ``LA`` with 8-bit channels."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode in _DEEP_GREY:
        return Image.fromarray(np.clip(_grey_fraction(image) * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "1":
        return image.convert("L")
    has_alpha = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
    if image.mode == "P" and not has_alpha:
        return image.convert("RGB")
    return image.convert("RGBA" if has_alpha else "RGB")


def read_image(source: str | os.PathLike | BinaryIO, mode: str = "RGB", *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Read an image as ``mode`` (``RGB``, ``RGBA`` or ``L``); transparency is flattened on white."""
    return as_mode(to_8bit(open_image(source, max_pixels=max_pixels)), mode)


def as_mode(image: Image.Image, mode: str) -> Image.Image:
    """An 8-bit image in ``mode`` (``RGB``, ``RGBA`` or ``L``); transparency is flattened on white."""
    if mode == image.mode:
        return image
    if mode in ("RGB", "L") and image.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert(mode)


def list_images(folder: str | os.PathLike, *, recursive: bool = True) -> list[Path]:
    """Image files under ``folder``, sorted; an error if there is no such folder or none inside.

    ``folder`` may also be a ``.txt`` list of image paths, one per line, relative to the
    list's own folder (``#`` starts a comment): a fixed training or held-out split.
    """
    root = Path(folder)
    if not root.exists():
        raise ArtganError(f"{root}: no such folder")
    if root.is_file() and root.suffix.lower() == ".txt":
        return _read_list(root)
    if not root.is_dir():
        raise ArtganError(f"{root}: is a file; give the folder that holds the images, or a .txt list of them")
    pattern = "**/*" if recursive else "*"
    files = sorted(
        p for p in root.glob(pattern)
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )
    if not files:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise ArtganError(f"{root}: no images found (looked for {suffixes})")
    return files


def read_all(source: str | os.PathLike, mode: str = "RGB") -> list[Image.Image]:
    """Every readable image of a folder or list, in ``mode``; unreadable files are skipped
    with a warning that names one, and it is an error if none can be read."""
    import logging

    images, skipped = [], []
    for path in list_images(source):
        try:
            images.append(read_image(path, mode))
        except ArtganError as exc:
            skipped.append(str(exc))
    if skipped:
        logging.getLogger("artgan").warning("skipped %d unreadable image(s), e.g. %s", len(skipped), skipped[0])
    if not images:
        raise ArtganError(f"{source}: none of the images could be read")
    return images


def _read_list(listing: Path) -> list[Path]:
    lines = [line.split("#", 1)[0].strip() for line in listing.read_text().splitlines()]
    files = [(listing.parent / line) for line in lines if line]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise ArtganError(f"{listing}: {len(missing)} listed image(s) are missing, e.g. {missing[0]}")
    if not files:
        raise ArtganError(f"{listing}: lists no images")
    return files


# --------------------------------------------------------------------------- tensors
def to_tensor(image: Image.Image) -> torch.Tensor:
    """A PIL image as a float tensor ``C×H×W`` in ``[-1, 1]``."""
    import torch

    array = np.asarray(image, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    tensor = torch.from_numpy(array.copy()).permute(2, 0, 1)
    return tensor.float().div_(127.5).sub_(1.0)


def read_tensor(source: str | os.PathLike | BinaryIO, mode: str = "L", *, max_pixels: int = MAX_PIXELS) -> torch.Tensor:
    """Read an image as a float tensor ``C×H×W`` in [-1, 1]; a 16-bit (or 32-bit) grey image
    read as ``L`` keeps its full precision instead of passing through 8 bits."""
    import torch

    image = open_image(source, max_pixels=max_pixels)
    if mode == "L" and image.mode in _DEEP_GREY:
        return torch.from_numpy(np.clip(_grey_fraction(image), 0, 1)).float()[None].mul(2).sub(1)
    return to_tensor(as_mode(to_8bit(image), mode))


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """A tensor ``C×H×W`` in ``[-1, 1]`` (C = 1, 3 or 4) as a PIL image."""
    if tensor.dim() != 3 or tensor.shape[0] not in (1, 3, 4):
        raise ValueError(f"expected a C×H×W tensor with 1, 3 or 4 channels, got {tuple(tensor.shape)}")
    array = tensor.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5).round().byte()
    array = array.permute(1, 2, 0).numpy()
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[array.shape[2]]
    return Image.fromarray(array[:, :, 0] if mode == "L" else array, mode)


def make_grid(images: torch.Tensor, columns: int | None = None, padding: int = 2) -> torch.Tensor:
    """Tile ``N×C×H×W`` images into one ``C×H'×W'`` image, nearly square by default."""
    import math

    import torch

    n, c, h, w = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = torch.full((c, rows * (h + padding) + padding, columns * (w + padding) + padding), -1.0)
    for i, image in enumerate(images.detach().float().cpu()):
        top, left = padding + (i // columns) * (h + padding), padding + (i % columns) * (w + padding)
        grid[:, top : top + h, left : left + w] = image
    return grid


# --------------------------------------------------------------------------- encoding
def encode_image(
    image: Image.Image | torch.Tensor,
    suffix: str,
    *,
    metadata: Mapping[str, object] | None = None,
    quality: int = 95,
    bits: int = 8,
    name: str = "output",
) -> bytes:
    """The bytes of ``image`` (a PIL image, or a tensor ``C×H×W`` in [-1, 1]) in the format
    ``suffix`` names, with ``metadata`` as provenance.

    PNG keeps each metadata item as a text chunk ``artgan:<key>``; JPEG, WebP and TIFF keep
    them in the EXIF/TIFF ImageDescription. ``bits=16`` keeps 16 bits per channel of a tensor
    (PNG and TIFF only).
    """
    fmt = RASTER_FORMATS.get(suffix.lower())
    if fmt is None:
        raise ArtganError(f"{name}: cannot tell the image format from {suffix!r}; use one of {', '.join(RASTER_FORMATS)}")
    if bits not in (8, 16):
        raise ArtganError(f"{name}: images have 8 or 16 bits per channel, not {bits}")
    if bits == 16:
        if fmt not in ("PNG", "TIFF"):
            raise ArtganError(f"{name}: {fmt} holds only 8 bits per channel; write a .png or .tif to keep 16")
        if isinstance(image, Image.Image):
            raise ValueError("16-bit encoding takes a tensor, not a PIL image")
        array = _to_uint16(image)
        return _png16(array, metadata or {}) if fmt == "PNG" else _tiff16(array, metadata or {})
    pil = image if isinstance(image, Image.Image) else to_pil(image)
    if fmt == "JPEG" and pil.mode in ("RGBA", "LA"):
        raise ArtganError(f"{name}: JPEG cannot keep the alpha channel; write a .png instead")
    options: dict[str, object] = {}
    if metadata:
        if fmt == "PNG":
            info = PngImagePlugin.PngInfo()
            for key, value in metadata.items():
                info.add_text(f"artgan:{key}", str(value))
            options["pnginfo"] = info
        elif fmt in ("JPEG", "WEBP", "TIFF"):
            exif = Image.Exif()
            exif[0x010E] = _description(metadata)
            options["exif"] = exif
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    buffer = io.BytesIO()
    pil.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def encode_animation(frames: list[Image.Image], *, seconds_per_frame: float = 0.12,
                     metadata: Mapping[str, object] | None = None) -> bytes:
    """Frames as a looping GIF that plays forward and back."""
    loop = frames + frames[-2:0:-1]
    buffer = io.BytesIO()
    # every frame is kept, even one equal to its neighbour: the frame count is what was asked for
    loop[0].save(buffer, format="GIF", save_all=True, append_images=loop[1:], duration=round(seconds_per_frame * 1000),
                 loop=0, comment=_description(metadata or {}).encode(), optimize=False, disposal=1)
    return buffer.getvalue()


def save_image(
    image: Image.Image | torch.Tensor,
    path: str | os.PathLike,
    *,
    metadata: Mapping[str, object] | None = None,
    quality: int = 95,
) -> Path:
    """Write one 8-bit image to ``path`` atomically (replacing a file there), with provenance."""
    from artgan.files import write_bytes_atomic

    path = Path(path)
    write_bytes_atomic(path, encode_image(image, path.suffix, metadata=metadata, quality=quality, name=str(path)))
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The ``artgan:*`` provenance an image written by artgan carries (PNG text chunks,
    or the ImageDescription of JPEG, WebP, TIFF and the comment of a GIF)."""
    with Image.open(path) as image:
        text = dict(getattr(image, "text", {}) or {})
        description = image.getexif().get(0x010E) or image.info.get("comment", b"")
    if isinstance(description, bytes):
        description = description.decode("utf-8", "replace")
    found = {k.removeprefix("artgan:"): v for k, v in text.items() if k.startswith("artgan:")}
    for item in str(description or "").split("; "):
        key, sep, value = item.partition("=")
        if sep and key.startswith("artgan:"):
            found.setdefault(key.removeprefix("artgan:"), value)
    return found


def _description(metadata: Mapping[str, object]) -> str:
    return "; ".join(f"artgan:{k}={v}" for k, v in metadata.items())


def _to_uint16(tensor: torch.Tensor) -> np.ndarray:
    """``C×H×W`` in [-1, 1] as ``H×W×C`` uint16."""
    if tensor.dim() != 3 or tensor.shape[0] not in (1, 3, 4):
        raise ValueError(f"expected a C×H×W tensor with 1, 3 or 4 channels, got {tuple(tensor.shape)}")
    scaled = tensor.detach().double().cpu().clamp(-1, 1).add(1).mul(65535 / 2).round()
    return scaled.permute(1, 2, 0).numpy().astype(np.uint16)


def _png16(array: np.ndarray, metadata: Mapping[str, object]) -> bytes:
    """A 16-bit PNG (grey, RGB or RGBA) with ``tEXt`` provenance: PNG spec §11.2.2 IHDR,
    colour types 0, 2, 6 at bit depth 16, one unfiltered IDAT."""
    height, width, channels = array.shape
    colour_type = {1: 0, 3: 2, 4: 6}[channels]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = array.astype(">u2").reshape(height, width * channels).tobytes()
    stride = width * channels * 2
    raw = b"".join(b"\x00" + rows[i * stride : (i + 1) * stride] for i in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    text = b"".join(chunk(b"tEXt", f"artgan:{k}".encode("latin-1", "replace")[:79] + b"\x00" + str(v).encode("latin-1", "replace"))
                    for k, v in metadata.items())
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + text + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def _tiff16(array: np.ndarray, metadata: Mapping[str, object]) -> bytes:
    """An uncompressed baseline TIFF (TIFF 6.0 §8, §10) with 16-bit grey, RGB or RGBA samples
    in one strip; the provenance goes into ImageDescription."""
    height, width, channels = array.shape
    pixels = array.astype("<u2").tobytes()
    description = (_description(metadata) or "artgan").encode("ascii", "replace") + b"\x00"
    entries: list[tuple[int, int, int, bytes]] = []  # tag, type, count, value bytes

    def add(tag: int, kind: int, values: list[int] | bytes) -> None:
        data = values if isinstance(values, bytes) else struct.pack(f"<{len(values)}{'H' if kind == 3 else 'I'}", *values)
        entries.append((tag, kind, len(values), data))

    add(256, 4, [width])
    add(257, 4, [height])
    add(258, 3, [16] * channels)
    add(259, 3, [1])  # no compression
    add(262, 3, [1 if channels == 1 else 2])  # black is zero / RGB
    add(270, 2, description)
    add(273, 4, [0])  # strip offset, filled in below
    add(277, 3, [channels])
    add(278, 4, [height])
    add(279, 4, [len(pixels)])
    add(284, 3, [1])  # chunky
    if channels == 4:
        add(338, 3, [2])  # unassociated alpha
    add(339, 3, [1] * channels)  # unsigned integers
    ifd_size = 2 + 12 * len(entries) + 4
    extra_at = 8 + ifd_size
    extra, fields = b"", []
    for tag, kind, count, data in entries:
        if len(data) <= 4:
            fields.append((tag, kind, count, data.ljust(4, b"\x00")))
        else:
            fields.append((tag, kind, count, struct.pack("<I", extra_at + len(extra))))
            extra += data + (b"\x00" if len(data) % 2 else b"")
    pixel_at = extra_at + len(extra)
    fields = [(t, k, c, struct.pack("<I", pixel_at) if t == 273 else v) for t, k, c, v in fields]
    ifd = struct.pack("<H", len(fields)) + b"".join(struct.pack("<HHI", t, k, c) + v for t, k, c, v in fields) + b"\x00" * 4
    return b"II*\x00" + struct.pack("<I", 8) + ifd + extra + pixels


def write_random_images(folder: str | os.PathLike, count: int, size: tuple[int, int], seed: int = 0) -> list[Path]:
    """Write ``count`` smooth random RGB PNGs (synthetic test data with some structure)."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        small = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
        image = Image.fromarray(small, "RGB").resize(size, Image.BILINEAR)
        path = folder / f"random_{i:03d}.png"
        image.save(path)
        paths.append(path)
    return paths


def _describe(source: object) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "<stream>")
