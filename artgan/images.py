"""The only place that turns image files into tensors and tensors back into files.

Reading respects EXIF orientation, converts any mode (palette, CMYK, 16-bit, with or
without alpha) to 8-bit RGB/L, refuses decompression bombs, and turns every decoding
failure into an :class:`~artgan.errors.ArtganError` that names the file. Writing is atomic
(a half-written file never replaces a good one) and stamps provenance into the metadata.
Tensors are float ``C×H×W`` (or ``N×C×H×W``) in ``[-1, 1]``.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
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
#: Formats :func:`save_image` writes, by suffix.
_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


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


def to_8bit(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to ``RGB``, ``RGBA``, ``L`` or ``LA`` with 8-bit channels."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        return Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "1":
        return image.convert("L")
    has_alpha = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
    if image.mode == "P" and not has_alpha:
        return image.convert("RGB")
    return image.convert("RGBA" if has_alpha else "RGB")


def read_image(source: str | os.PathLike | BinaryIO, mode: str = "RGB", *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Read an image as ``mode`` (``RGB``, ``RGBA`` or ``L``); transparency is flattened on white."""
    image = to_8bit(open_image(source, max_pixels=max_pixels))
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


# --------------------------------------------------------------------------- writing
def save_image(
    image: Image.Image | torch.Tensor,
    path: str | os.PathLike,
    *,
    metadata: Mapping[str, object] | None = None,
    quality: int = 95,
) -> Path:
    """Write ``image`` to ``path`` atomically, with ``metadata`` as provenance.

    PNG keeps each metadata item as a text chunk ``artgan:<key>``; JPEG and WebP keep them
    in the EXIF ImageDescription. The folder is created if needed.
    """
    path = Path(path)
    if path.suffix.lower() not in _SAVE_FORMATS:
        raise ArtganError(f"{path}: cannot tell the format from the suffix; use one of {', '.join(_SAVE_FORMATS)}")
    write_bytes_atomic(path, encode_image(image, path.suffix, metadata=metadata, quality=quality, name=str(path)))
    return path


def encode_image(
    image: Image.Image | torch.Tensor,
    suffix: str,
    *,
    metadata: Mapping[str, object] | None = None,
    quality: int = 95,
    name: str = "output",
) -> bytes:
    """The bytes of ``image`` in the format ``suffix`` names, with provenance (see :func:`save_image`)."""
    pil = image if isinstance(image, Image.Image) else to_pil(image)
    fmt = _SAVE_FORMATS[suffix.lower()]
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
            exif[0x010E] = "; ".join(f"artgan:{k}={v}" for k, v in metadata.items())
            options["exif"] = exif
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    buffer = io.BytesIO()
    pil.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def save_animation(frames: list[Image.Image], path: str | os.PathLike, *, seconds_per_frame: float = 0.12,
                   metadata: Mapping[str, object] | None = None) -> Path:
    """Write frames as a looping GIF that plays forward and back, atomically."""
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ArtganError(f"{path}: an animation is written as .gif")
    loop = frames + frames[-2:0:-1]
    buffer = io.BytesIO()
    comment = "; ".join(f"artgan:{k}={v}" for k, v in (metadata or {}).items())
    loop[0].save(buffer, format="GIF", save_all=True, append_images=loop[1:], duration=round(seconds_per_frame * 1000),
                 loop=0, comment=comment.encode())
    write_bytes_atomic(path, buffer.getvalue())
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The ``artgan:*`` provenance a PNG written by :func:`save_image` carries."""
    with Image.open(path) as image:
        text = getattr(image, "text", {}) or {}
    return {k.removeprefix("artgan:"): v for k, v in text.items() if k.startswith("artgan:")}


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` beside ``path`` and rename it into place, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
