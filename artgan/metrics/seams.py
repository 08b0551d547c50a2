"""How visible the seam is when an image is tiled: the wrap-around edge against the interior.

Tiling places the last column next to the first (and the last row above the first). The
figure is the mean absolute difference across those wrap-around edges divided by the mean
absolute difference between neighbouring interior columns and rows: about 1 means the
edge is as smooth as anywhere else (no visible seam); a hard seam gives several times that.

:func:`ripple_ratio` measures what can raise that figure without a seam: a 2-pixel ripple,
where the steps from odd to even pixels are larger than those from even to odd ones. The
wrap-around edge of an even-sized image is such an odd-to-even step. More generally, a
generator whose noise field has cells of ``p`` pixels may change more at some positions within
a cell than at others (a faint grid of period ``p``); :func:`step_profile` shows that, and the
wrap-around edge, where a cell ends, gets the figure of that position.
"""

from __future__ import annotations

import torch


def seam_ratio(images: torch.Tensor) -> float:
    """Seam figure of ``N×C×H×W`` images (1 ≈ seamless), averaged over the batch."""
    images = images.float()
    across_x = (images[..., :, 1:] - images[..., :, :-1]).abs().mean()
    across_y = (images[..., 1:, :] - images[..., :-1, :]).abs().mean()
    wrap_x = (images[..., :, 0] - images[..., :, -1]).abs().mean()
    wrap_y = (images[..., 0, :] - images[..., -1, :]).abs().mean()
    interior = (across_x + across_y) / 2
    return float((wrap_x + wrap_y) / 2 / interior.clamp_min(1e-8))


def ripple_ratio(images: torch.Tensor) -> float:
    """2-pixel ripple of ``N×C×H×W`` tileable images of even size (1 = none): the mean absolute
    step between neighbours from odd to even index (1→2, 3→4, …, and the wrap-around edge) over
    that from even to odd (0→1, 2→3, …), rows and columns together (:func:`step_profile`, period 2)."""
    even_to_odd, odd_to_even = step_profile(images, 2)
    return odd_to_even / max(even_to_odd, 1e-8)


def step_profile(images: torch.Tensor, period: int) -> list[float]:
    """Mean absolute step between neighbours of ``N×C×H×W`` tileable images by position within a
    period: item ``k`` is the step from index ``k`` to ``k + 1`` (mod ``period``; the last one,
    ``period - 1`` → 0, is where the wrap-around edge falls when the size is a multiple of
    ``period``), rows and columns together, over the mean of all steps. All ones = no
    structure tied to the period."""
    images = images.float()
    height, width = images.shape[-2:]
    if height % period or width % period:
        raise ValueError(f"a {height}×{width} image is not a whole number of {period}-pixel periods")
    across_x = (torch.roll(images, -1, -1) - images).abs().mean(dim=(0, 1, 2)).view(-1, period).mean(0)
    across_y = (torch.roll(images, -1, -2) - images).abs().mean(dim=(0, 1, 3)).view(-1, period).mean(0)
    profile = (across_x + across_y) / 2
    return [float(v) for v in profile / profile.mean().clamp_min(1e-8)]
