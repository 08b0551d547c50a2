import pytest
import torch

from artgan.metrics import laplacian_pyramid, sliced_wasserstein


def test_pyramid_bands_add_back_up_to_the_image():
    images = torch.rand(2, 3, 64, 64)
    levels = laplacian_pyramid(images)
    assert [lvl.shape[-1] for lvl in levels] == [64, 32, 16]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = torch.nn.functional.interpolate(rebuilt, size=band.shape[-2:], mode="bilinear", align_corners=False) + band
    torch.testing.assert_close(rebuilt, images)


def test_swd_is_small_for_the_same_distribution_and_grows_with_difference():
    torch.manual_seed(0)
    blobs = lambda n: torch.nn.functional.interpolate(torch.rand(n, 3, 4, 4), size=32, mode="bilinear") * 2 - 1  # noqa: E731
    reference, same = blobs(64), blobs(64)
    noise = torch.rand(64, 3, 32, 32) * 2 - 1
    darker = (same - 0.5).clamp(-1, 1)
    near, shifted, far = (sliced_wasserstein(x, reference)["swd"] for x in (same, darker, noise))
    assert near < shifted < far
    assert sliced_wasserstein(same, reference)["swd"] == sliced_wasserstein(same, reference)["swd"], "seeded"


def test_swd_takes_sets_of_different_sizes_but_not_shapes():
    a, b = torch.rand(10, 1, 28, 28), torch.rand(7, 1, 28, 28)
    assert sliced_wasserstein(a, b)["swd"] > 0
    with pytest.raises(ValueError):
        sliced_wasserstein(a, torch.rand(7, 3, 28, 28))
