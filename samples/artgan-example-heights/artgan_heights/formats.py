"""File formats of :class:`~artgan_heights.outputs.Heightfield`, and reading them back.

- ``.r16``: raw unsigned 16-bit little-endian samples, row by row, no header: the format
  terrain tools (Unity, World Machine, Gaea, ...) import. Several fields lie side by side
  in one row, so the file is ``N·W`` samples wide and ``H`` high; the size is not in the
  file, so note it (``artgan generate`` prints it with ``--json``).
- ``.pgm``: binary PGM (Netpbm ``P5``) with maxval 65535, samples big-endian as the
  Netpbm spec requires, laid out like the ``.r16``; the provenance goes into ``#`` comment
  lines of the header (``# artgan:seed=1``).
- a folder: one ``0000.r16``, ``0001.r16``, ... per field, each a square a terrain tool
  can import on its own (the side is the square root of the sample count).

0 is the lowest height and 65535 the highest. Encoders only compute bytes: the core
writes them (atomically, never over an existing file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgan.errors import ArtganError

if TYPE_CHECKING:  # numpy is imported where it is used, so `import artgan_heights` stays cheap
    import numpy as np

MAXVAL = 65535
_HEADER_TOKEN = re.compile(rb"\s*(#[^\n]*\n?|\S+)")  # a PGM header token or comment


def to_uint16(heights: Any) -> np.ndarray:
    """``N×H×W`` heights in [0, 1] (a tensor or array) as ``H×(N·W)`` uint16, fields side by side."""
    import numpy as np

    array = heights.detach().float().cpu().numpy() if hasattr(heights, "detach") else np.asarray(heights, dtype=np.float32)
    if array.ndim != 3:
        raise ValueError(f"heights must be N×H×W, got shape {array.shape}")
    scaled = np.rint(np.clip(array.astype(np.float64), 0.0, 1.0) * MAXVAL).astype(np.uint16)
    return np.concatenate(list(scaled), axis=1)


def encode_r16(output: Any, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """The fields as one raw little-endian 16-bit file (no header, so no provenance)."""
    return to_uint16(output.heights).astype("<u2").tobytes()


def encode_pgm(output: Any, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """The fields as one 16-bit binary PGM, provenance in header comments."""
    samples = to_uint16(output.heights)
    height, width = samples.shape
    comments = "".join(f"# artgan:{_one_line(k)}={_one_line(v)}\n" for k, v in metadata.items())
    header = f"P5\n{comments}{width} {height}\n{MAXVAL}\n".encode("utf-8")
    return header + samples.astype(">u2").tobytes()


def encode_folder(output: Any, suffix: str, metadata: Mapping[str, str]) -> dict[str, bytes]:
    """One raw ``.r16`` per field, ``0000.r16`` onwards."""
    return {f"{index:04d}.r16": to_uint16(field[None]).astype("<u2").tobytes() for index, field in enumerate(output.heights)}


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


# --------------------------------------------------------------------------- reading
def read_pgm(data: bytes, name: str = "input") -> tuple[np.ndarray, int, dict[str, str]]:
    """Decode a binary PGM (``P5``, 8 or 16 bits): samples ``H×W``, maxval, ``artgan:`` comments."""
    import numpy as np

    if not data.startswith(b"P5"):
        raise ArtganError(f"{name}: not a binary PGM (it does not start with P5); give a .pgm that `artgan generate` wrote")
    position, tokens, comments = 2, [], {}
    while len(tokens) < 3:
        match = _HEADER_TOKEN.match(data, position)
        if match is None or not match.group(1):
            raise ArtganError(f"{name}: the PGM header is cut short; the file is truncated or not a PGM")
        token, position = match.group(1), match.end()
        if token.startswith(b"#"):
            key, sep, value = token[1:].decode("utf-8", "replace").strip().partition("=")
            if sep and key.startswith("artgan:"):
                comments[key.removeprefix("artgan:")] = value
        elif token.isdigit():
            tokens.append(int(token))
        else:
            raise ArtganError(f"{name}: unexpected {token[:20]!r} in the PGM header; the file is not a PGM")
    width, height, maxval = tokens
    if width < 1 or height < 1 or not 0 < maxval <= MAXVAL:
        raise ArtganError(f"{name}: the PGM header says {width}×{height} with maxval {maxval}, which no PGM has")
    position += 1  # the single whitespace character after maxval
    itemsize = 2 if maxval > 255 else 1
    expected = width * height * itemsize
    body = data[position : position + expected]
    if len(body) < expected:
        raise ArtganError(f"{name}: holds {len(body)} of the {expected} bytes its {width}×{height} header promises; the file is truncated")
    samples = np.frombuffer(body, dtype=">u2" if itemsize == 2 else np.uint8).reshape(height, width)
    return samples, maxval, comments


def read_r16(data: bytes, name: str = "input", width: int | None = None) -> np.ndarray:
    """Decode a raw ``.r16``: ``width`` samples a row, or a square when ``width`` is None."""
    import numpy as np

    if len(data) % 2:
        raise ArtganError(f"{name}: has an odd number of bytes, so it is not 16-bit raw samples")
    count = len(data) // 2
    if width is None:
        width = math.isqrt(count)
        if width * width != count or count == 0:
            raise ArtganError(f"{name}: {count} samples make no square; give the width with --width")
    if count == 0 or count % width:
        raise ArtganError(f"{name}: {count} samples do not fill rows of {width}; check --width")
    return np.frombuffer(data, dtype="<u2").reshape(count // width, width)


def describe_file(path: str | Path, width: int | None = None) -> dict[str, Any]:
    """Size, lowest and highest height (as fractions of the maxval) of a ``.pgm`` or ``.r16`` file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArtganError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ArtganError(f"{path}: is a folder; give one .pgm or .r16 file") from None
    suffix = path.suffix.lower()
    provenance: dict[str, str] = {}
    if suffix == ".pgm":
        if width is not None:
            raise ArtganError("--width is for .r16 files; a .pgm says its own size")
        samples, maxval, provenance = read_pgm(data, str(path))
    elif suffix == ".r16":
        samples, maxval = read_r16(data, str(path), width), MAXVAL
    else:
        raise ArtganError(f"{path}: heights-info reads .pgm and .r16 files, not {suffix or 'files without a suffix'!r}")
    height, width = samples.shape
    low, high = int(samples.min()), int(samples.max())
    return {
        "file": str(path),
        "format": suffix.lstrip("."),
        "size": [width, height],
        "maxval": maxval,
        "min": low / maxval,
        "max": high / maxval,
        "min_raw": low,
        "max_raw": high,
        "provenance": provenance,
    }
