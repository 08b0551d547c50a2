"""Quality figures of a sprite model against real sprites of each class (``artgan eval``)."""

from __future__ import annotations

from typing import Any


def _semi_mask(pixels: Any) -> Any:
    """``N×1×H×W``: alpha neither fully off nor fully on once stored in 8 bits (levels 1–254)."""
    levels = ((pixels[:, 3:] + 1) * 127.5).round()
    return (levels > 0) & (levels < 255)


def semi_transparent(pixels: Any) -> float:
    """Share of pixels whose alpha is neither fully off nor fully on (8-bit levels 1–254)."""
    return float(_semi_mask(pixels).float().mean())


def semi_transparent_where(pixels: Any) -> dict[str, float]:
    """Where a batch's semi-transparent pixels (8-bit alpha 1–254) lie, as shares of them:
    ``edge``, on the one-pixel ring around the silhouette (alpha ≥ ½), where anti-aliasing puts
    them in real sprites; ``outside`` it (a faint haze); ``inside`` it (soft holes).
    ``share`` is :func:`semi_transparent`. Tells a halo from soft edges."""
    import torch
    import torch.nn.functional as F

    semi = _semi_mask(pixels)
    solid = (pixels[:, 3:] >= 0).float()  # alpha ≥ ½
    ring = (F.max_pool2d(solid, 3, 1, 1) + F.max_pool2d(-solid, 3, 1, 1)) > 0  # dilated minus eroded
    count = max(int(semi.sum()), 1)

    def share(where: torch.Tensor) -> float:
        return int((semi & where).sum()) / count

    off_ring = ~ring
    return {"share": float(semi.float().mean()), "edge": share(ring),
            "outside": share(off_ring & (solid == 0)), "inside": share(off_ring & (solid == 1))}


def class_figures(model: Any, dataset: Any, *, n: int, seed: int) -> dict[str, Any]:
    """Per class: SWD×1000 (premultiplied RGBA) of ``n`` generated sprites against that class's
    real sprites, the same for real against real (another draw: the floor), and the
    semi-transparent share of generated and real pixels."""
    import torch

    from artgan.errors import ArtganError
    from artgan.metrics import sliced_wasserstein
    from artgan_sprites.model import premultiply

    if list(dataset.names) != list(model.labels):
        raise ArtganError(f"the data's classes {dataset.names} are not the model's {model.labels}")
    per_class = {}
    for label, name in enumerate(dataset.names):
        real = dataset.of_class(label)
        fake = model.run("generate", seed=seed + 1000 * label, options={"n": n, "label": name}).pixels
        g = torch.Generator().manual_seed(seed)
        pick = real[torch.randint(len(real), (n,), generator=g)]
        per_class[name] = {
            "swd_model": sliced_wasserstein(premultiply(fake), premultiply(real), seed=seed)["swd"],
            "swd_real_resample": sliced_wasserstein(premultiply(pick), premultiply(real), seed=seed)["swd"],
            "semi_transparent_model": semi_transparent(fake),
            "semi_transparent_real": semi_transparent(real),
        }
    return {"metric": "sliced_wasserstein_x1e3 on premultiplied RGBA", "n": n, "seed": seed, "classes": per_class}
