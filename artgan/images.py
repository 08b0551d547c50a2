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
from collections.abc import Callable, Mapping
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
def open_image(
    source: str | os.PathLike | BinaryIO,
    *,
    max_pixels: int = MAX_PIXELS,
    shrink: Callable[[tuple[int, int]], tuple[int, int]] | None = None,
) -> Image.Image:
    """Decode an image fully, upright (EXIF orientation applied), in its own mode.

    The size the header claims is checked before any pixel is decoded: against
    ``max_pixels``, against what the file's bytes could possibly hold (a truncated or forged
    header is refused, never allocated) and against the memory available
    (:func:`artgan.memory.check_fits`). ``shrink`` maps the upright ``(height, width)`` to the
    size the caller will shrink the picture to anyway: a JPEG is then decoded at a reduced
    scale (1/2, 1/4 or 1/8, never smaller than that size), and ``info["artgan_full_size"]`` keeps
    the file's own upright ``(width, height)``.
    """
    from artgan.memory import check_fits

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
            _refuse_implausible(image, name)
            if shrink is not None:
                _draft(image, shrink)
            check_fits(2 * _decoded_bytes(image), f"{name}: decoding {image.width}×{image.height} pixels",
                       "downscale the image first")  # twice: the decoded picture and its upright copy
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
    return ImageOps.exif_transpose(image)  # a copy, info (and artgan_full_size) included


#: Most pixels one byte of a file can hold, by format: a 1-bit PNG at deflate's best ratio
#: (1032:1), LZW's longest string per 12-bit code in a GIF; a Huffman-coded JPEG spends at
#: least one bit on every 8×8 block. Other formats (and arithmetic-coded JPEG) have no bound.
_PIXELS_PER_BYTE = {"PNG": 8 * 1032, "GIF": 4096 * 8 // 12, "JPEG": 8 * 64}


def _refuse_implausible(image: Image.Image, name: str) -> None:
    """An error if the file is far too small for the size its header claims (truncated or forged)."""
    ratio = _PIXELS_PER_BYTE.get(image.format or "")
    size = _file_bytes(image)
    if ratio is None or size is None or (image.format == "JPEG" and _jpeg_is_arithmetic(image.fp)):
        return
    width, height = image.size
    try:  # the pixels the file codes (a GIF's first frame may cover only part of its logical screen)
        coded = sum((box[2] - box[0]) * (box[3] - box[1]) for box in (tile[1] for tile in image.tile))
    except (TypeError, IndexError):
        coded = width * height
    if coded > ratio * size * 1.05 + 4096:
        raise ArtganError(
            f"{name}: the header claims {width}×{height} pixels, more than its {size:,} bytes can hold; "
            "the file is truncated or corrupt (download or export it again)"
        )


def _file_bytes(image: Image.Image) -> int | None:
    """The size of the file (or stream) ``image`` reads from, without moving its position."""
    fp = getattr(image, "fp", None)
    try:
        position = fp.tell()
        fp.seek(0, os.SEEK_END)
        size = fp.tell()
        fp.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return int(size)


def _jpeg_is_arithmetic(fp: BinaryIO) -> bool:
    """Whether a JPEG's frame is arithmetic-coded (SOF9–SOF15), which compresses without a floor."""
    position = fp.tell()
    try:
        fp.seek(0)
        if fp.read(2) != b"\xff\xd8":
            return False
        while True:
            byte = fp.read(1)
            if byte != b"\xff":
                return False  # segments follow each other; anything else: not a frame we can read
            marker = fp.read(1)
            while marker == b"\xff":  # fill bytes
                marker = fp.read(1)
            if not marker or marker[0] in (0xD9, 0xDA):  # end of image, start of scan: no SOF seen
                return False
            if marker[0] in (0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                return True
            if marker[0] in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7):
                return False
            if marker[0] == 0x01 or 0xD0 <= marker[0] <= 0xD8:
                continue  # markers without a length
            length = int.from_bytes(fp.read(2), "big")
            if length < 2:
                return False
            fp.seek(length - 2, os.SEEK_CUR)
    except (OSError, ValueError):
        return False
    finally:
        fp.seek(position)


def _draft(image: Image.Image, shrink: Callable[[tuple[int, int]], tuple[int, int]]) -> None:
    """Let a JPEG decode at the smallest DCT scale that still covers the size ``shrink`` asks for."""
    if image.format != "JPEG":
        return
    width, height = image.size
    turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # EXIF orientations that swap the sides
    upright = (width, height) if turned else (height, width)
    try:
        target_h, target_w = shrink(upright)
    except Exception:  # noqa: BLE001 - only a hint: without it the picture is decoded in full
        return
    if not (0 < target_h < upright[0] and 0 < target_w < upright[1]):
        return
    if abs(target_h * upright[1] - target_w * upright[0]) > (upright[0] + upright[1]) / 2 + 1:  # beyond rounding
        return  # not a resize of the whole picture (a crop, a fixed size): it needs every pixel
    request = (target_h, target_w) if turned else (target_w, target_h)
    image.draft(None, request)
    if image.size != (width, height):
        image.info["artgan_full_size"] = (upright[1], upright[0])


def _decoded_bytes(image: Image.Image) -> int:
    """Bytes Pillow allocates to decode ``image``: 1 per pixel for L, P and 1-bit; 2 for 16-bit
    grey; 4 for everything else (Pillow keeps RGB in 4 bytes a pixel)."""
    width, height = image.size
    mode = image.mode
    per_pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    return width * height * per_pixel


_DEEP_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # grey modes with more than 8 bits


def _grey_fraction(image: Image.Image) -> np.ndarray:
    """A deep grey image's values over its full scale: 65535 for 16-bit; for 32-bit integers 255
    unless exceeded, then 65535; for floats 1.0 when every value lies in 0..1 (the usual float
    convention), else as the integers. Values that are not finite count as 0."""
    array = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(array.max()) if array.size else 0.0
    if image.mode == "F" and peak <= 1.0:
        top = 1.0
    elif image.mode.startswith("I;16") or peak > 255:
        top = 65535.0
    else:
        top = 255.0
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


def image_classes(source: str | os.PathLike) -> list[tuple[str, Path]]:
    """``(class name, folder or list)`` pairs of a conditional model's training data: each
    subfolder or ``.txt`` list is a class; a folder of images alone, or one list, is a single
    class named after it."""
    root = Path(source)
    if not root.exists():
        raise ArtganError(f"{root}: no such folder; give --data a folder with one subfolder (or .txt list) per class")
    if root.is_file():
        return [(root.stem, root)]
    classes = [
        (entry.stem if entry.is_file() else entry.name, entry)
        for entry in sorted(root.iterdir())
        if not entry.name.startswith(".") and (entry.is_dir() or entry.suffix.lower() == ".txt")
    ]
    loose = [p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    if classes and loose:
        raise ArtganError(f"{root}: holds both class folders and loose images; move the images into a class folder")
    return classes or [(root.name, root)]


def list_images(folder: str | os.PathLike, *, recursive: bool = True) -> list[Path]:
    """Image files under ``folder``, sorted; an error if there is no such folder or none inside.

    ``folder`` may also be a ``.txt`` list of image paths, one per line, relative to the
    list's own folder (``#`` starts a comment): a fixed training or held-out split; or one
    image file, a collection of one (a style learnt from a single painting).
    """
    root = Path(folder)
    if not root.exists():
        raise ArtganError(f"{root}: no such folder")
    if root.is_file() and root.suffix.lower() == ".txt":
        return _read_list(root)
    if root.is_file() and root.suffix.lower() in IMAGE_SUFFIXES:
        return [root]
    if not root.is_dir():
        raise ArtganError(f"{root}: is neither an image nor a folder; give an image, the folder that holds the images, "
                          "or a .txt list of them")
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
