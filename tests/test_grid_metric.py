"""The grid figure (artgan.metrics.grid) on synthetic pictures whose answer is known."""

import math

import pytest
import torch

from artgan.metrics.grid import flat_inputs, flat_response, grid_energy

SIZE = 128


def _picture(values: torch.Tensor) -> torch.Tensor:
    return values.float().expand(1, 3, SIZE, SIZE)


def _coords() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")


@pytest.mark.parametrize("period", [2, 4, 6])
def test_stripes_and_checkerboards_at_short_periods_score_high(period):
    y, x = _coords()
    stripes = torch.cos(2 * math.pi * x / period)
    checker = torch.cos(math.pi * (x // (period // 2) + y // (period // 2)))
    assert grid_energy(_picture(stripes)).item() > 0.95
    assert grid_energy(_picture(checker)).item() > 0.95


def test_the_band_edge_at_8_px_counts_partly():
    _, x = _coords()
    at_edge = grid_energy(_picture(torch.cos(2 * math.pi * x / 8))).item()
    beyond = grid_energy(_picture(torch.cos(2 * math.pi * x / 12))).item()
    assert 0.5 < at_edge < 0.95 and beyond < 0.01


def test_smooth_pictures_and_long_periods_score_low():
    y, x = _coords()
    gradient = x / SIZE * 2 - 1
    long_waves = 0.5 * torch.cos(2 * math.pi * x / 32) + 0.3 * torch.sin(2 * math.pi * y / 64)
    assert grid_energy(_picture(gradient)).item() < 0.01
    assert grid_energy(_picture(long_waves)).item() < 0.01


def test_a_faint_grid_on_a_smooth_picture_raises_the_figure_with_its_strength():
    y, x = _coords()
    smooth = 0.6 * (x / SIZE * 2 - 1)
    grid = torch.cos(math.pi * (x // 2 + y // 2))  # period 4 checkerboard
    scores = [grid_energy(_picture(smooth + a * grid)).item() for a in (0.0, 0.01, 0.05, 0.2)]
    assert scores == sorted(scores) and scores[0] < 0.01 < scores[-1]


def test_flat_pictures_score_zero_and_one_value_per_image():
    batch = torch.stack([torch.full((3, SIZE, SIZE), v) for v in (-1.0, 0.0, 0.5)])
    batch[1] += torch.randn(3, SIZE, SIZE) * 0.001  # a fraction of an 8-bit level: still flat
    scores = grid_energy(batch)
    assert scores.shape == (3,) and scores.abs().max().item() == 0.0
    with pytest.raises(ValueError, match="at least"):
        grid_energy(torch.zeros(1, 3, 8, 8))


def test_flat_response_tells_a_gridding_network_from_a_smooth_one():
    inputs = flat_inputs(64)
    assert inputs.shape == (10, 3, 64, 64)
    assert grid_energy(inputs).max().item() < 1e-3  # the faint ripple has no short periods

    def smooth(x):
        return x * 20  # amplifies the ripple, adds no pattern

    def gridding(x):
        y, x_ = torch.meshgrid(torch.arange(x.shape[-2]), torch.arange(x.shape[-1]), indexing="ij")
        return x + 0.2 * torch.cos(math.pi * (x_ // 2 + y // 2)).float()

    calm, griddy = flat_response(smooth, 64), flat_response(gridding, 64)
    assert calm["max"] < 0.01
    assert griddy["mean"] > 0.9 and len(griddy["each"]) == 10
    assert griddy["rms_levels"] > calm["rms_levels"] / 10


def test_stride_peaks_find_a_grid_locked_to_the_stride_and_not_strokes():
    from artgan.metrics.grid import stride_peaks

    generator = torch.Generator().manual_seed(0)
    noise = torch.rand(1, 3, 128, 128, generator=generator) * 2 - 1
    smooth = torch.nn.functional.avg_pool2d(noise, 5, stride=1, padding=2)  # texture without a grid
    rows, cols = torch.meshgrid(torch.arange(128), torch.arange(128), indexing="ij")
    grid = (((rows % 4) == 0) | ((cols % 4) == 0)).float()[None, None] * 0.2  # a faint period-4 grid
    assert stride_peaks(noise).item() < 3 and stride_peaks(smooth).item() < 3
    assert stride_peaks(smooth + grid).item() > 30 * stride_peaks(smooth).item()
    strokes = torch.sin(cols * 2 * math.pi / 5.3).float()[None, None].expand(1, 3, -1, -1)  # a period off the stride
    assert stride_peaks(smooth + 0.2 * strokes).item() < 3
    assert stride_peaks(torch.cat([smooth, smooth + grid])[..., :127, :126]).shape == (2,), "cropped to multiples of 4"
    with pytest.raises(ValueError, match="32 px"):
        stride_peaks(torch.zeros(1, 3, 16, 64))
