"""Stylize without torch: the shipped styles run by onnxruntime from their exported graphs.

Importing PyTorch takes most of the time of ``artgan stylize photo.jpg`` for one picture. Each
shipped style carries its ``G_AB`` exported to ONNX (``G_AB.onnx`` and its manifest
``onnx.json``, written by ``artgan export cyclegan.TAG --format onnx``, the graph's sha256
checked before use like the weights'). When onnxruntime is installed (``pip install
"artgan[onnx]"``), :func:`stylize_quickly` runs the command on it, with the same picture steps
as the PyTorch path (:func:`prepare_picture`, :func:`finish_picture`, shared by both), the same
output paths, provenance and report; the graph matches PyTorch in float32 within 1e-4, so the
8-bit pictures differ by at most one level.

It is used only where that is what the PyTorch path would compute: one picture file, no larger
than one pass of the network (1024 px; larger ones are tiled with whole-picture normalisation
statistics), written as a raster file, on a machine where PyTorch would run the style in
float32 on the CPU (``--device cpu``, or ``auto`` without a GPU; bf16 where the CPU runs it
natively gives other pixels). Anything else, and ``ARTGAN_ONNX=0``, takes the PyTorch path.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import platform
import random
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from artgan.errors import ArtganError
from artgan_cyclegan import STYLIZE_BYTES_PER_PIXEL, StylizeOptions, _stylized_size

log = logging.getLogger("artgan")

#: The largest side the PyTorch path runs in one pass (artgan.inference.tiling's TILE and STATS_SIZE).
ONE_PASS = 1024
#: Thinner pictures are edge-padded to this for the network (artgan.inference.tiling.MIN_SIDE).
MIN_SIDE = 16
#: CPU flags with which PyTorch may run bf16 natively (artgan.engine.hardware.NATIVE_BF16_FLAGS).
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


# --------------------------------------------------------------------------- steps both paths share
def prepare_picture(options: StylizeOptions, image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """The RGB picture the network sees (at the output size) and the alpha channel to put back."""
    from artgan.images import to_8bit
    from artgan.memory import check_fits

    # a JPEG the core decoded at a reduced scale (it is only shrunk here) keeps its file's size
    full = image.info.get("artgan_full_size", image.size)
    height, width = _stylized_size(None, options, (full[1], full[0]))
    check_fits(STYLIZE_BYTES_PER_PIXEL * height * width + 8 * image.width * image.height,
               f"stylizing a {width}×{height} picture", "shrink it first with --max-size (e.g. --max-size 4096)")
    image = to_8bit(image)
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    rgb = image.convert("RGB")
    if (width, height) != rgb.size:
        rgb = rgb.resize((width, height), Image.LANCZOS)
        alpha = alpha.resize((width, height), Image.LANCZOS) if alpha is not None else None
    return rgb, alpha


def finish_picture(styled: Image.Image, rgb: Image.Image, alpha: Image.Image | None, options: StylizeOptions) -> Image.Image:
    """The stylized picture with the photo's colours (``preserve_color``) and alpha put back."""
    if options.preserve_color:
        luma = styled.convert("YCbCr").getchannel("Y")
        _, cb, cr = rgb.convert("YCbCr").split()
        styled = Image.merge("YCbCr", (luma, cb, cr)).convert("RGB")
    if alpha is not None:
        styled.putalpha(alpha)
    return styled


# --------------------------------------------------------------------------- the graph on numpy
def to_array(rgb: Image.Image) -> np.ndarray:
    """An RGB picture as ``1×3×H×W`` float32 in [-1, 1], exactly as :func:`artgan.images.to_tensor`."""
    array = np.asarray(rgb, dtype=np.uint8).astype(np.float32)
    return (array / np.float32(127.5) - np.float32(1.0)).transpose(2, 0, 1)[None].copy()


def to_picture(array: np.ndarray) -> Image.Image:
    """``1×3×H×W`` in [-1, 1] as an 8-bit RGB picture, rounded as :func:`artgan.images.to_pil`."""
    levels = np.round((np.clip(array[0], -1, 1) + np.float32(1)) * np.float32(127.5)).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(levels.transpose(1, 2, 0)), "RGB")


def translate(session: Any, input_name: str, source: np.ndarray) -> np.ndarray:
    """The graph on one picture in one pass, pictures thinner than :data:`MIN_SIDE` edge-padded
    to it and cut back, as :func:`artgan.inference.tiling.translate_tiled` does."""
    height, width = source.shape[-2:]
    pad_h, pad_w = max(0, MIN_SIDE - height), max(0, MIN_SIDE - width)
    top, left = pad_h // 2, pad_w // 2
    padded = np.pad(source, ((0, 0), (0, 0), (top, pad_h - top), (left, pad_w - left)), mode="edge") if pad_h or pad_w else source
    result = session.run(None, {input_name: padded})[0]
    return np.clip(result[..., top : top + height, left : left + width], -1, 1)


def stylize_array(session: Any, input_name: str, options: StylizeOptions, image: Image.Image) -> Image.Image:
    """The whole ``stylize`` verb on onnxruntime for a picture no larger than :data:`ONE_PASS`."""
    rgb, alpha = prepare_picture(options, image)
    if max(rgb.size) > ONE_PASS:
        raise ValueError(f"pictures above {ONE_PASS} px are tiled; the quick path does not do that")
    source = to_array(rgb)
    result = translate(session, input_name, source)
    if options.strength < 1.0:
        result = options.strength * result + (1 - options.strength) * source
    return finish_picture(to_picture(result), rgb, alpha, options)


# --------------------------------------------------------------------------- when it gives PyTorch's result
def why_not_quick(inputs: tuple[str, ...] | list[str], device: str, precision_preferred: str) -> str | None:
    """Why this run must take the PyTorch path (None: the quick path may be tried)."""
    if os.environ.get("ARTGAN_ONNX", "").strip().lower() in ("0", "false", "no", "off"):
        return "ARTGAN_ONNX=0"
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed"
    if len(inputs) != 1 or inputs[0] == "-" or not Path(inputs[0]).is_file():
        return "not one picture file (folders, stdin and several files run on PyTorch)"
    name = (device or "auto").strip().lower()
    if name not in ("auto", "cpu"):
        return f"--device {device}"
    if name == "auto" and gpu_present():
        return "a GPU is present, which --device auto would use"
    if precision_preferred == "bf16":
        flags = cpu_flags()
        if flags is None:
            return "this CPU's features are unknown (PyTorch might run the style in bf16 here)"
        if flags & set(NATIVE_BF16_FLAGS):
            return "this CPU runs bf16 natively, which the PyTorch path uses"
    return None


def gpu_present() -> bool:
    """Whether PyTorch's ``auto`` device could be a GPU here, told without importing torch
    (a GPU that torch cannot use counts too: the PyTorch path is then taken, which is safe)."""
    if sys.platform == "darwin":
        return platform.machine() == "arm64"  # Apple silicon: MPS
    if os.name == "nt":
        return Path(os.environ.get("SystemRoot", r"C:\Windows"), "System32", "nvcuda.dll").exists()
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1")
    nvidia = any(Path(p).exists() for p in ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia/version", "/dev/dxg"))
    return (nvidia and not hidden) or Path("/dev/kfd").exists()  # /dev/kfd: an AMD GPU under ROCm


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str] | None:
    """The CPU's feature flags from ``/proc/cpuinfo``; None where that cannot be read."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "flags":
            return set(value.split())
    return None


# --------------------------------------------------------------------------- the command
def stylize_quickly(inputs: tuple[str, ...], style: str, out: str | None, options: dict[str, Any], *, overwrite: bool,
                    skip_existing: bool, device: str, as_json: bool) -> bool:
    """Run ``artgan stylize`` on onnxruntime and report as the PyTorch path does; False (nothing
    done, nothing printed) where that would not give the PyTorch path's result."""
    from artgan_cyclegan import CycleGANPlugin, plugin

    why = why_not_quick(inputs, device, plugin.inference_precision)
    if why is not None:
        log.debug("stylize runs on PyTorch: %s", why)
        return False
    from artgan.inference.export import read_manifest, verified_graph
    from artgan.registry import resolve_model

    ref = resolve_model(style, verb="stylize")  # a bad name: the error the PyTorch path would give
    if ref.preset is None or not isinstance(ref.plugin, CycleGANPlugin):
        return False
    try:
        manifest = read_manifest(ref.path)
        found = verified_graph(ref.path, manifest, "stylize") if manifest is not None else None
    except ArtganError as exc:
        log.warning("%s; running the style on PyTorch instead", exc)
        return False
    if found is None or manifest.get("weights_sha256") != ref.preset.sha256:
        return False  # no graph, or one exported from other weights
    graph, entry = found
    if int(entry.get("convention", {}).get("min_side", MIN_SIDE + 1)) > MIN_SIDE:
        return False
    return _run(ref, graph, entry, inputs[0], out, options, overwrite=overwrite, skip_existing=skip_existing,
                as_json=as_json)


def _run(ref: Any, graph: Path, entry: dict[str, Any], item: str, out: str | None, options: dict[str, Any], *,
         overwrite: bool, skip_existing: bool, as_json: bool) -> bool:
    from artgan._version import __version__
    from artgan.cli import report_pictures
    from artgan.config import make_options
    from artgan.files import write_files
    from artgan.images import RASTER_FORMATS, encode_image, open_image
    from artgan.inference.export import onnx_session
    from artgan.inference.files import keep_alpha, plan

    ((source, target),) = plan([item], ref.preset.tag, out, overwrite or skip_existing)
    if target.suffix.lower() not in RASTER_FORMATS or target.is_dir():
        return False  # e.g. -o x.gif: the PyTorch path says what it cannot write
    record: dict[str, Any] = {"input": str(source), "output": str(target)}
    if skip_existing and not overwrite and (target.exists() or target.with_suffix(".png").exists()):
        report_pictures([{**record, "status": "skipped (exists)"}], as_json)
        return True
    chosen = make_options(StylizeOptions, options, {}, what="stylize option")
    started = time.perf_counter()
    image = open_image(source, shrink=lambda size: _stylized_size(None, chosen, size))
    full = image.info.get("artgan_full_size", image.size)
    if max(_stylized_size(None, chosen, (full[1], full[0]))) > ONE_PASS:
        return False  # tiled with whole-picture statistics: the PyTorch path
    session = onnx_session(graph)
    picture = stylize_array(session, entry["inputs"][0]["name"], chosen, image)
    seed = random.SystemRandom().randrange(2**31)  # stylize draws nothing; the seed is recorded as for any verb
    defaults = StylizeOptions()
    changed = {f.name: getattr(chosen, f.name) for f in fields(chosen) if getattr(chosen, f.name) != getattr(defaults, f.name)}
    metadata = {**changed, "model": ref.name, "verb": "stylize", "seed": seed, "version": __version__, "source": source.name}
    target = keep_alpha(target, picture.mode == "RGBA", source, overwrite)
    data = encode_image(picture, target.suffix.lower(), metadata={k: str(v) for k, v in metadata.items()})
    write_files({target: data}, overwrite=overwrite)
    report_pictures([{**record, "output": str(target), "status": "written", "width": picture.width,
                      "height": picture.height, "seconds": round(time.perf_counter() - started, 3)}], as_json)
    return True
