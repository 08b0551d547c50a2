"""Field generators at any size in bounded memory: render the noise field tile by tile.

A fully convolutional generator driven by a spatial noise field (SGAN/PSGAN-style texture
models) turns a field of ``h×w`` cells into an output ``factor`` times larger.
When its norms use running statistics, nothing but the convolutions' reach couples
distant parts of the output, so a tile of the field rendered with ``margin`` cells of
real context around it (wrapping around for a tileable output), then cropped to its own
part, equals that part of the whole output. Only one tile's latents and activations are
on the device at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch


def spans(length: int, tile: int) -> list[tuple[int, int]]:
    """``[start, end)`` of consecutive tiles of at most ``tile`` along an axis of ``length``."""
    return [(start, min(start + tile, length)) for start in range(0, length, tile)]


def window(start: int, end: int, length: int, margin: int, wrap: bool, whole: bool) -> tuple[torch.Tensor, int]:
    """Field indices a tile ``[start, end)`` is rendered from, with ``margin`` of context each side
    (wrapping around when ``wrap``, else cut at the edges, where the padding is the whole
    output's), and where the tile starts within them. A tile that is the ``whole`` axis needs
    no context."""
    if whole:
        return torch.arange(length), 0
    if wrap:
        return torch.arange(start - margin, end + margin) % length, margin
    first = max(0, start - margin)
    return torch.arange(first, min(length, end + margin)), start - first


def tile_count(field: tuple[int, int], tile: int) -> int:
    """How many tiles :func:`render_tiled` renders for a field of ``field`` cells."""
    return len(spans(field[0], tile)) * len(spans(field[1], tile))


def _select(latent: torch.Tensor, rows: int, cols: int, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """The part of one latent over field rows ``ys`` and columns ``xs``: a spatial latent at
    ``s``× the field's resolution gives its ``s×s`` cells per field cell; others pass whole."""
    if latent.dim() < 3 or latent.shape[-1] % cols or latent.shape[-2] % rows:
        return latent
    scale = latent.shape[-1] // cols
    offsets = torch.arange(scale)
    return latent.index_select(-2, (ys[:, None] * scale + offsets).flatten()).index_select(
        -1, (xs[:, None] * scale + offsets).flatten())


def render_tiled(
    render: Callable[[dict[str, list[torch.Tensor]]], torch.Tensor],
    latents: Mapping[str, list[torch.Tensor]],
    field: tuple[int, int],
    *,
    factor: int,
    margin: int,
    tile: int,
    wrap: bool,
    into: torch.Tensor,
    device: torch.device | str,
    step: Callable[[], None] | None = None,
) -> None:
    """One output's latents (on the host, batch 1) rendered tile by tile into ``into`` (``C×H×W``, host).

    ``render`` maps latents (on ``device``) to ``1×C×(factor·h)×(factor·w)``; ``field`` is the
    noise field's ``(rows, cols)``; spatial latents are those whose last two sides are whole
    multiples of it. ``tile`` is a tile's side in field cells, ``margin`` the context each side
    (the generator's reach), ``step`` is called after each tile (progress).
    """
    rows, cols = field
    out_h, out_w = into.shape[-2:]
    row_spans, col_spans = spans(rows, tile), spans(cols, tile)
    for top, bottom in row_spans:
        ys, y_at = window(top, bottom, rows, margin, wrap, len(row_spans) == 1)
        for left, right in col_spans:
            xs, x_at = window(left, right, cols, margin, wrap, len(col_spans) == 1)
            part = {key: [_select(t, rows, cols, ys, xs).to(device) for t in group] for key, group in latents.items()}
            result = render(part)[0]
            y0, y1 = top * factor, min(bottom * factor, out_h)
            x0, x1 = left * factor, min(right * factor, out_w)
            if y0 < y1 and x0 < x1:
                into[:, y0:y1, x0:x1] = result[:, y_at * factor : y_at * factor + y1 - y0,
                                               x_at * factor : x_at * factor + x1 - x0].float().cpu()
            if step is not None:
                step()
