"""Verbs over picture files and folders: where each output goes, decided before any work.

Every output path is decided and checked first (an input is never overwritten, nor an
existing file, unless asked), so a mistake costs nothing. Outputs keep their input's
format where it can hold the result (a JPEG with alpha becomes a PNG, see
:func:`keep_alpha`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PIL import Image

from artgan.errors import ArtganError
from artgan.files import check_writable
from artgan.images import IMAGE_SUFFIXES, RASTER_FORMATS, list_images, open_image

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
    return suffix if suffix in RASTER_FORMATS else ".png"


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
    check_writable([dst for _, dst in pairs])


def keep_alpha(target: Path, has_alpha: bool, source: Path | str, overwrite: bool) -> Path:
    """``target``, or the same name as a PNG when a picture with transparency would go to a JPEG."""
    if not has_alpha or target.suffix.lower() not in (".jpg", ".jpeg"):
        return target
    png = target.with_suffix(".png")
    if png.exists() and not overwrite:
        raise ArtganError(f"{source} has transparency, so its result is a PNG, but {png} exists; pass --overwrite or choose another -o")
    return png


def gather_pictures(items: str | os.PathLike | Iterable[Any]) -> dict[str, Image.Image]:
    """Every picture of files, folders, ``.txt`` lists or PIL images, by file name without suffix
    (a PIL image without a file name by its position), decoded; two of one name are refused."""
    if isinstance(items, (str, os.PathLike)):
        items = [items]
    pictures: dict[str, Image.Image] = {}
    for index, item in enumerate(items):
        if isinstance(item, Image.Image):
            found = [(Path(getattr(item, "filename", "") or str(index)).stem, item)]
        else:
            paths = list_images(item) if Path(item).is_dir() or str(item).endswith(".txt") else [Path(item)]
            found = [(path.stem, path) for path in paths]
        for name, picture in found:
            if name in pictures:
                raise ArtganError(f"two inputs are called {name!r}; rename one")
            pictures[name] = picture if isinstance(picture, Image.Image) else open_image(picture)
    if not pictures:
        raise ArtganError("give the input pictures (files or folders)")
    return pictures
