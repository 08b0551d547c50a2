"""Quality measures that need no download (no pretrained feature networks)."""

from artgan.metrics.swd import laplacian_pyramid, sliced_wasserstein

__all__ = ["laplacian_pyramid", "sliced_wasserstein"]
