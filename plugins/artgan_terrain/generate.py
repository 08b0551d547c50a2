"""The ``generate`` verb: terrains in metres at engine sizes, tileable, optionally guided.

Sizes. Terrain engines import square heightmaps of particular sizes: 2ⁿ+1 samples a side
in Unity (33 … 4097) and Unreal's recommended landscape sizes (127, 253, 505, 1009, 2017,
4033, 8129: whole numbers of components of 63 or 126 quads, plus one; the Unreal Engine
"Landscape Technical Guide"). Any other size is refused with the nearest that engines take,
unless ``any_size`` is set. The generator renders a
noise field of ``ceil((size − 1) / 16)`` cells (16 samples each) and the map is cut from
it. A tileable map is rendered periodic at ``size − 1`` with circular padding, and its
first row and column are repeated at the end: neighbouring tiles then share their edge
samples, as engine tiles do, and join without a step.

Memory. Maps larger than :data:`TILE` samples a side are rendered tile by tile
(:func:`artgan.inference.fields.render_tiled`), with a progress report per tile, so a pass
needs about 0.3 GB whatever the size; the map itself is kept whole (64 MB at 4097²).

Guide. ``--guide`` takes a grey image or grid whose large shapes the map should follow:
its broad shape (blurred at a quarter of the training crop) replaces the map's own,
and the generator's detail is kept on top.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from artgan.errors import ArtganError
from artgan.inference.fields import render_tiled, tile_count
from artgan_terrain.heightfield import Heightfield

TILE = 512  # maps with a longer side are rendered in tiles of this many samples (≈ 0.3 GB a pass)
UNITY_SIZES = tuple(2**k + 1 for k in range(5, 13))  # 33 … 4097
UNREAL_SIZES = (127, 253, 505, 1009, 2017, 4033, 8129)  # Unreal's recommended landscape sizes
ENGINE_SIZES = tuple(sorted(UNITY_SIZES + UNREAL_SIZES))


def check_size(size: int, any_size: bool, tileable: bool) -> None:
    """Refuse a size engines do not import (unless ``any_size``), naming the nearest that they do."""
    if size in ENGINE_SIZES or any_size:
        if tileable and (size - 1) % 16:
            raise ArtganError(f"a tileable map needs size − 1 to be a multiple of 16, got {size}; e.g. "
                              f"{max(33, round((size - 1) / 16) * 16 + 1)}")
        return
    below = [s for s in ENGINE_SIZES if s < size]
    above = [s for s in ENGINE_SIZES if s > size]
    nearest = " or ".join(str(s) for s in ([below[-1]] if below else []) + ([above[0]] if above else []))
    raise ArtganError(f"size {size} is not one terrain engines import (Unity 2ⁿ+1: {', '.join(map(str, UNITY_SIZES))}; "
                      f"Unreal: {', '.join(map(str, UNREAL_SIZES))}); "
                      f"use {nearest}, or add --any-size to keep {size}")


def draw_latents(G: Any, n: int, field: tuple[int, int], generator: torch.Generator | None,
                 device: Any) -> dict[str, list[torch.Tensor]]:
    """Standard normal latents for ``n`` maps on a noise field of ``field`` cells (from
    ``generator`` on the CPU when one is given, so a seed means the same map on any device)."""
    shapes = G.latent_shapes(*field)
    return {key: [torch.randn(n, *shape, generator=generator).to(device) if generator is not None
                  else torch.randn(n, *shape, device=device) for shape in group]
            for key, group in shapes.items()}


def class_weights(labels: torch.Tensor | None, n: int, classes: int) -> torch.Tensor:
    """Class indices ``(n,)``, weights ``(n, K)`` or None (every class evenly) as weights ``n×K``."""
    if labels is None:
        return torch.full((n, classes), 1.0 / classes)
    if labels.dtype == torch.long:
        return F.one_hot(labels.cpu(), classes).float()
    return labels.float().cpu()


def _render(G: Any, latents: dict[str, list[torch.Tensor]], weights: torch.Tensor, tileable: bool) -> torch.Tensor:
    from artgan.nn import set_padding

    set_padding(G, "circular" if tileable else "reflect")
    try:
        return G(latents, weights.to(next(G.parameters()).device))
    finally:
        set_padding(G, "reflect")


def render_normalised(model: Any, weights: torch.Tensor, side: int, tileable: bool, generator: torch.Generator,
                      step: Any = None) -> torch.Tensor:
    """Heights in [-1, 1], ``n×side×side`` on the CPU (tileable: periodic with period ``side``)."""
    G = model.nets["G"]
    f = G.factor
    cells = max(2, math.ceil(side / f))
    n = weights.shape[0]
    out = torch.empty(n, 1, cells * f, cells * f)
    tiled = cells * f > TILE
    for j in range(n):
        latents = draw_latents(G, 1, (cells, cells), generator, "cpu" if tiled else model.device)
        one = weights[j : j + 1]
        if tiled:
            def tile(part: dict[str, list[torch.Tensor]], one: torch.Tensor = one) -> torch.Tensor:
                with model.autocast():
                    return _render(G, part, one, tileable)

            render_tiled(tile, latents, (cells, cells),
                         factor=f, margin=G.field_margin(), tile=max(2, TILE // f), wrap=tileable, into=out[j],
                         device=model.device, step=step)
        else:
            with model.autocast():
                out[j] = _render(G, latents, one, tileable)[0].float().cpu()
            if step is not None:
                step()
    return out[:, 0, :side, :side]


def follow_guide(heights: torch.Tensor, guide: torch.Tensor, blur: float, wrap: bool) -> torch.Tensor:
    """``heights`` (``n×H×W`` in [-1, 1]) with their broad shape replaced by the guide's
    (``H×W`` in [-1, 1]): both are blurred with a Gaussian of ``blur`` samples, and the map keeps
    only what its blur leaves out. The result is rescaled into [-1, 1] if it spills over."""
    low_map = _gaussian(heights[:, None], blur, wrap)[:, 0]
    low_guide = _gaussian(guide[None, None], blur, wrap)[0, 0]
    mixed = low_guide[None] + (heights - low_map)
    low, high = mixed.amin(dim=(1, 2), keepdim=True), mixed.amax(dim=(1, 2), keepdim=True)
    spill = (low < -1) | (high > 1)
    rescaled = (mixed - low) / (high - low).clamp_min(1e-6) * 2 - 1
    return torch.where(spill, rescaled, mixed)


def _gaussian(x: torch.Tensor, sigma: float, wrap: bool) -> torch.Tensor:
    """Separable Gaussian blur of ``N×1×H×W`` (reflected edges, or wrapped)."""
    radius = max(1, int(3 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=torch.float32) / sigma) ** 2)
    taps = (taps / taps.sum()).to(x.dtype)
    mode = "circular" if wrap else "reflect"
    for dim in (-1, -2):
        pad = min(radius, x.shape[dim] - 1)
        spec = (pad, pad, 0, 0) if dim == -1 else (0, 0, pad, pad)
        padded = F.pad(x, spec, mode=mode)
        kernel = taps[radius - pad : radius + pad + 1]
        kernel = kernel.view(1, 1, 1, -1) if dim == -1 else kernel.view(1, 1, -1, 1)
        x = F.conv2d(padded, kernel)
    return x


def read_guide(path: str, side: int) -> torch.Tensor:
    """A guide file as ``side×side`` in [-1, 1] (stretched to its own range; white or highest = 1)."""
    from pathlib import Path

    from artgan_terrain.dem import DEM_SUFFIXES, read_dem

    source = Path(path)
    if not source.is_file():
        raise ArtganError(f"--guide {path}: no such file; give a grey image or an elevation grid")
    if source.suffix.lower() in DEM_SUFFIXES and source.suffix.lower() not in (".png", ".tif", ".tiff"):
        grid = read_dem(source).heights
    else:
        from artgan.images import read_tensor

        grid = read_tensor(source, mode="L")[0].numpy()
    grid = np.where(np.isfinite(grid), grid, np.nanmin(grid) if np.isfinite(grid).any() else 0.0)
    low, high = float(grid.min()), float(grid.max())
    if high - low <= 0:
        raise ArtganError(f"--guide {path}: it is flat (one grey level); give a picture with high and low parts")
    tensor = torch.from_numpy(((grid - low) / (high - low) * 2 - 1).astype(np.float32))[None, None]
    return F.interpolate(tensor, size=(side, side), mode="bicubic", align_corners=False)[0, 0].clamp(-1, 1)


def pass_bytes(G: Any, side: int) -> int:
    """Peak bytes of one pass of ``G`` making ``side×side`` samples (float32): its last stage
    dominates, holding the upsampled input, the convolutions' outputs, noise and norm temporaries
    at full size (each earlier stage has a quarter of the samples and at most twice the channels).
    Measured on the shipped model: 149 MB at 513², against 211 MB estimated."""
    cin, cout = G.blocks[-1].conv1.in_channels, G.blocks[-1].conv1.out_channels
    return 4 * side * side * (cin // 4 + 3 * cin + 6 * cout)


def check_memory(G: Any, n: int, size: int, tiled: bool) -> None:
    """Refuse a job whose maps and largest pass cannot fit in memory: the maps are kept whole in
    float32 (and copied on the way to a file), a pass covers the map or, above :data:`TILE`,
    one tile with its context."""
    from artgan.memory import check_fits

    per_map = size * size * 4
    cells = max(2, math.ceil(size / G.factor))
    latents = 4 * sum(math.prod(shape) for group in G.latent_shapes(cells, cells).values() for shape in group)
    side = (TILE // G.factor + 2 * G.field_margin()) * G.factor if tiled else size
    work = max(pass_bytes(G, side), 8 * per_map)  # a pass, or writing one map (float64 copies, 16-bit samples)
    # per map: the normalised heights, the metres and a temporary; one map's latents; the larger of a
    # pass and a write (measured at 4097²: about 1.0 GB beyond the loaded model, 0.92 GB estimated)
    check_fits(3 * n * per_map + latents + work, f"generating {n} terrain{'s' if n > 1 else ''} of {size}×{size}",
               "ask for fewer with -n or a smaller --size")


def generate(model: Any, options: Any, generator: torch.Generator) -> Heightfield:
    """``options.n`` terrains in metres (see the module docstring for sizes, tiling and guides)."""
    from artgan.labels import choose_labels

    config, names = model.config, model.labels
    check_size(options.size, options.any_size, options.tileable)
    side = options.size - 1 if options.tileable else options.size
    G = model.nets["G"]
    tiled = side > TILE
    check_memory(G, options.n, options.size, tiled)
    labels = choose_labels(names, options.n, generator, label=options.label, mix=options.mix)
    weights = class_weights(labels, options.n, G.embed.in_features)
    guide = read_guide(options.guide, side) if options.guide else None
    cells = max(2, math.ceil(side / G.factor))
    total = options.n * (tile_count((cells, cells), max(2, TILE // G.factor)) if tiled else 1)
    done = [0]

    def step() -> None:
        done[0] += 1
        model.progress(done[0], total)

    normalised = render_normalised(model, weights, side, options.tileable, generator, step)
    if guide is not None:
        normalised = follow_guide(normalised, guide, blur=config.crop / 4, wrap=options.tileable)
    base, relief = _scale(config, weights, options)
    heights = base[:, None, None] + (normalised + 1) / 2 * relief[:, None, None]
    if options.tileable:  # repeat the first row and column: tiles share their edge samples
        heights = torch.cat([heights, heights[:, :1]], dim=1)
        heights = torch.cat([heights, heights[:, :, :1]], dim=2)
    if options.flip:
        heights = heights.flip(1)
    kinds = [names[int(w.argmax())] if names and float(w.max()) == 1.0 else "" for w in weights]
    report = {"size": options.size, "cell_size_m": options.cell_size or config.cell_m}
    return Heightfield(heights.contiguous(), float(options.cell_size or config.cell_m), labels=kinds,
                       tileable=options.tileable, flipped=options.flip, mesh_step=options.mesh_step, report=report)


def _scale(config: Any, weights: torch.Tensor, options: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Per map: its lowest point and height range in metres (the classes' medians, weighted as
    the classes are mixed, unless ``--base``/``--relief`` say otherwise)."""
    classes = weights.shape[1]
    base = torch.tensor(config.base_m if len(config.base_m) == classes else [0.0] * classes, dtype=torch.float32)
    relief = torch.tensor(config.relief_m if len(config.relief_m) == classes else [1000.0] * classes, dtype=torch.float32)
    base, relief = weights @ base, weights @ relief
    if options.base is not None:
        base = torch.full_like(base, options.base)
    if options.relief is not None:
        relief = torch.full_like(relief, options.relief)
    return base, relief
