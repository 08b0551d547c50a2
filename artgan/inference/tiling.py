"""Image-to-image inference at any size: tiles with blended overlaps and shared statistics.

A translation network sees the picture in tiles when it is larger than ``tile`` pixels, so
memory stays bounded whatever the size. Neighbouring tiles overlap and are cross-faded
with linear ramps, and instance-norm statistics are recorded once on the whole picture
(downscaled to at most ``stats_size``) and replayed on every tile
(:func:`artgan.nn.norm_statistics`), so tiles agree with each other and no seam shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from artgan.errors import ArtganError
from artgan.nn import norm_statistics

TILE = 1024  # tile side in pixels: images up to this size run in one pass
OVERLAP = 64  # pixels neighbouring tiles share and cross-fade
MARGIN = 64  # pixels of context around each tile that the network sees and the output drops
ALIGN = 64  # tiles and their context windows start on multiples of this (2**6: up to 6 stride-2 stages)
STATS_SIZE = 1024  # longest side of the picture the normalisation statistics come from
MIN_SIDE = 16  # thinner pictures are edge-padded to this for the network (1×5000 works too)


@torch.no_grad()
def translate_tiled(
    translate: Callable[[torch.Tensor], torch.Tensor],
    nets: Iterable[nn.Module],
    images: torch.Tensor,
    *,
    tile: int = TILE,
    overlap: int = OVERLAP,
    margin: int = MARGIN,
    stats_size: int = STATS_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """``translate`` applied to ``1×3×H×W`` in [-1, 1] (CPU) tile by tile; the same shape on the CPU.

    ``translate`` maps a batch to its translation (same size); ``nets`` are the networks it
    runs, whose instance norms record statistics on the whole picture and replay them per tile.
    """
    if images.dim() != 4 or images.shape[0] != 1:
        raise ValueError("translate_tiled takes one image at a time, 1×C×H×W")
    if tile < 2 * ALIGN or not 0 <= overlap <= tile - ALIGN or margin % ALIGN:
        raise ArtganError(f"tiles need tile ≥ {2 * ALIGN}, 0 ≤ overlap ≤ tile − {ALIGN} and margin a multiple of {ALIGN}")
    height, width = images.shape[-2:]
    if min(height, width) < MIN_SIDE:  # too thin for the network's padding: extend the edges, then cut back
        pad_h, pad_w = max(0, MIN_SIDE - height), max(0, MIN_SIDE - width)
        padded = F.pad(images, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2), mode="replicate")
        result = translate_tiled(translate, nets, padded, tile=tile, overlap=overlap, margin=margin,
                                 stats_size=stats_size, progress=progress)
        return result[..., pad_h // 2 : pad_h // 2 + height, pad_w // 2 : pad_w // 2 + width]
    nets = list(nets)
    if height <= tile and width <= tile and max(height, width) <= stats_size:
        return translate(images).cpu().float()
    scale = min(1.0, stats_size / max(height, width))
    small = images if scale == 1.0 else F.interpolate(  # every side at least MIN_SIDE, however thin the picture
        images, size=(max(MIN_SIDE, round(height * scale)), max(MIN_SIDE, round(width * scale))),
        mode="bilinear", antialias=True, align_corners=False,
    )
    with norm_statistics(nets, "record"):
        translate(small)
    tops, lefts = _starts(height, tile, overlap), _starts(width, tile, overlap)
    out = torch.zeros(1, 3, height, width)
    weight = torch.zeros(1, 1, height, width)
    total, done = len(tops) * len(lefts), 0
    with norm_statistics(nets, "replay"):
        for top in tops:
            for left in lefts:
                h, w = min(tile, height - top), min(tile, width - left)
                # the network sees `margin` pixels of real context around the tile, then they are cut off
                y0, x0 = max(0, top - margin), max(0, left - margin)
                y1, x1 = min(height, top + h + margin), min(width, left + w + margin)
                result = translate(images[..., y0:y1, x0:x1]).cpu().float()
                result = result[..., top - y0 : top - y0 + h, left - x0 : left - x0 + w]
                ramp = _ramp(h, overlap, top > 0, top + h < height)[:, None] * _ramp(w, overlap, left > 0, left + w < width)[None, :]
                out[..., top : top + h, left : left + w] += result * ramp
                weight[..., top : top + h, left : left + w] += ramp
                done += 1
                if progress is not None:
                    progress(done, total)
    return out / weight


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile offsets along one axis, every one a multiple of :data:`ALIGN`: a network with
    stride-2 stages only treats content alike when it sits on the same sampling grid."""
    stride = max(ALIGN, (tile - overlap) // ALIGN * ALIGN)
    starts = [0]
    while starts[-1] + tile < length:
        starts.append(min(starts[-1] + stride, (length - tile + ALIGN - 1) // ALIGN * ALIGN))
    return starts


def _ramp(size: int, overlap: int, fade_in: bool, fade_out: bool) -> torch.Tensor:
    """1 in the middle, rising linearly over ``overlap`` pixels at sides shared with a neighbour."""
    ramp = torch.ones(size)
    if overlap:
        rise = (torch.arange(overlap, dtype=torch.float32) + 0.5) / overlap
        if fade_in:
            ramp[:overlap] = torch.minimum(ramp[:overlap], rise)
        if fade_out:
            ramp[-overlap:] = torch.minimum(ramp[-overlap:], rise.flip(0))
    return ramp
