"""How visible the seam is when an image is tiled: the wrap-around edge against the interior.

Tiling places the last column next to the first (and the last row above the first). The
figure is the mean absolute difference across those wrap-around edges divided by the mean
absolute difference between neighbouring interior columns and rows: about 1 means the
edge is as smooth as anywhere else (no visible seam); a hard seam gives several times that.
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
