"""Stylize files and folders: where each output goes, and what is refused before any work.

Every output path is decided and checked first (an input is never overwritten, nor an
existing file, unless asked), so a mistake costs nothing. Outputs keep their input's
format where it can hold the result (a JPEG with alpha becomes a PNG) and carry their
provenance in the metadata.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import Any

import artgan
from artgan.errors import ArtganError
from artgan.images import IMAGE_SUFFIXES, encode_image, list_images, open_image, save_image

_WRITABLE = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
STDIO = "-"


def plan(inputs: list[str], tag: str, out: str | None, overwrite: bool) -> list[tuple[Path, Path]]:
    """Pair every input file with its output path, refusing clashes up front."""
    if STDIO in inputs:
        raise ArtganError("'-' (stdin) must be the only input")
    pairs: list[tuple[Path, Path]] = []
    single_file = len(inputs) == 1 and Path(inputs[0]).is_file()
    target = Path(out) if out else None
    if target is not None and target.suffix.lower() in IMAGE_SUFFIXES and not single_file:
        raise ArtganError(f"-o {out}: several inputs need an output folder, not a file")
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for file in list_images(path):
                name = file.relative_to(path).with_suffix(_suffix(file))
                pairs.append((file, (target / name) if target else file.with_name(f"{file.stem}_{tag}{_suffix(file)}")))
        elif path.is_file():
            if target is not None and target.suffix.lower() in IMAGE_SUFFIXES:
                pairs.append((path, target))
            elif target is not None:
                pairs.append((path, target / f"{path.stem}{_suffix(path)}"))
            else:
                pairs.append((path, path.with_name(f"{path.stem}_{tag}{_suffix(path)}")))
        else:
            raise ArtganError(f"{item}: no such file or folder")
    _refuse_clashes(pairs, overwrite)
    return pairs


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if suffix in _WRITABLE else ".png"


def _refuse_clashes(pairs: list[tuple[Path, Path]], overwrite: bool) -> None:
    inputs = {src.resolve() for src, _ in pairs}
    seen: dict[Path, Path] = {}
    for src, dst in pairs:
        key = dst.resolve()
        if key in seen:
            raise ArtganError(f"{seen[key]} and {src} would both be written to {dst}; use separate -o folders")
        seen[key] = src
        if key in inputs and not overwrite:
            raise ArtganError(f"{dst} is an input; refusing to overwrite it (pass --overwrite if you mean it)")
        if dst.exists() and not overwrite:
            raise ArtganError(f"{dst} exists; pass --overwrite to replace it or choose another -o")


def run(
    inputs: list[str],
    *,
    style: str,
    out: str | None = None,
    max_size: int | None = None,
    strength: float = 1.0,
    preserve_color: bool = False,
    overwrite: bool = False,
    device: str = "auto",
    progress: bool = True,
) -> list[dict[str, Any]] | None:
    """Stylize ``inputs``; return one record per output, or None when writing to stdout."""
    from artgan.translate import stylize_image

    model = artgan.load(style, device=device, task="translate")
    if model.task != "translate":
        raise ArtganError(f"{model.name} is a {model.task} model, not a style; see `artgan models`")
    tag = model.preset.tag if model.preset is not None else Path(style).name
    options = {"max_size": max_size, "strength": strength, "preserve_color": preserve_color}
    metadata = {"model": model.name, "strength": strength, "preserve_color": preserve_color, "version": artgan.__version__}
    if inputs == [STDIO]:
        picture = open_image(io.BytesIO(sys.stdin.buffer.read()))
        result = stylize_image(model, picture, **options)
        if out:
            save_image(result, _checked_single(out, overwrite), metadata={**metadata, "source": "stdin"})
            return [{"input": STDIO, "output": out, "width": result.width, "height": result.height, "seconds": 0.0}]
        sys.stdout.buffer.write(encode_image(result, ".png", metadata={**metadata, "source": "stdin"}))
        sys.stdout.buffer.flush()
        return None
    pairs = plan(inputs, tag, out, overwrite)
    from tqdm.auto import tqdm

    records = []
    with tqdm(total=len(pairs), unit="image", desc="stylizing", disable=not progress or len(pairs) < 2) as bar:
        for src, dst in pairs:
            started = time.perf_counter()
            tiles = _TileProgress(progress and len(pairs) == 1)
            result = stylize_image(model, open_image(src), progress=tiles, **options)
            tiles.close()
            if dst.suffix.lower() in (".jpg", ".jpeg") and result.mode == "RGBA":  # JPEG cannot hold alpha
                dst = dst.with_suffix(".png")
                if dst.exists() and not overwrite:
                    raise ArtganError(f"{src} has transparency, so its result is a PNG, but {dst} exists; pass --overwrite or choose another -o")
            save_image(result, dst, metadata={**metadata, "source": src.name})
            records.append({"input": str(src), "output": str(dst), "width": result.width, "height": result.height,
                            "seconds": round(time.perf_counter() - started, 3)})
            bar.update(1)
    return records


def _checked_single(out: str, overwrite: bool) -> Path:
    path = Path(out)
    if path.exists() and not overwrite:
        raise ArtganError(f"{path} exists; pass --overwrite to replace it or choose another -o")
    return path


class _TileProgress:
    """A progress bar over the tiles of one large picture (none for a single pass)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bar = enabled, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 2:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="tile", desc="stylizing", leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
