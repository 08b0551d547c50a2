"""Quality measures that need no download (no pretrained feature networks)."""

from artgan.metrics.grid import flat_response, grid_energy, stride_peaks
from artgan.metrics.swd import laplacian_pyramid, sliced_wasserstein

__all__ = ["flat_response", "grid_energy", "stride_peaks", "laplacian_pyramid", "sliced_wasserstein"]
