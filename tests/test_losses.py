import pytest
import torch

from artgan.engine.augment import Augmented, build_pipeline
from artgan.engine.losses import OBJECTIVES, gradient_penalty, objective, r1_penalty
from artgan.errors import ArtganError


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_objectives_prefer_real_high_and_fake_low(name):
    d_loss, g_loss = objective(name)
    good_d = d_loss(torch.full((4,), 3.0), torch.full((4,), -3.0))
    bad_d = d_loss(torch.full((4,), -3.0), torch.full((4,), 3.0))
    assert good_d < bad_d
    assert g_loss(torch.full((4,), 3.0)) < g_loss(torch.full((4,), -3.0))


def test_nonsaturating_values():
    d_loss, g_loss = objective("nonsaturating")
    zero = torch.zeros(3)
    assert d_loss(zero, zero).item() == pytest.approx(2 * torch.log(torch.tensor(2.0)).item())
    with pytest.raises(ArtganError, match="unknown GAN objective"):
        objective("mse")


def test_penalties_on_a_linear_discriminator():
    weight = torch.tensor([3.0, 4.0])
    D = lambda x: x.flatten(1) @ weight  # noqa: E731 - gradient is `weight` everywhere
    real, fake = torch.randn(5, 2), torch.randn(5, 2)
    assert r1_penalty(D, real).item() == pytest.approx(25.0)
    assert gradient_penalty(D, real, fake).item() == pytest.approx(16.0)


def test_augmentation_is_differentiable_and_keeps_shapes():
    D = Augmented(torch.nn.Flatten(), build_pipeline("shift,translation,color,cutout,flip"))
    for channels in (1, 3):
        images = (torch.rand(2, channels, 16, 16) * 2 - 1).requires_grad_()
        out = D(images)
        out.sum().backward()
        assert out.shape == (2, channels * 256) and images.grad.abs().sum() > 0
    with pytest.raises(ArtganError, match="unknown policy"):
        build_pipeline("zoom")


def test_whole_pixel_shift_moves_pixels_without_resampling():
    """``shift`` keeps every pixel's value (no blur that would hide grain from D), moves each
    image by its own offset within 1/8 of the size, and fills the uncovered border with black."""
    torch.manual_seed(0)
    images = torch.rand(64, 1, 16, 16) * 0.5 + 0.5  # no zeros of its own
    moved = build_pipeline("shift")(images)
    kept = moved[moved != 0]
    assert torch.isin(kept, images).all(), "every kept value is one of the input's: nothing resampled"
    offsets = set()
    for image, out in zip(images, moved):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(out[0, max(dy, 0):16 + min(dy, 0), max(dx, 0):16 + min(dx, 0)],
                                image[0, max(-dy, 0):16 + min(-dy, 0), max(-dx, 0):16 + min(-dx, 0)])]
        assert found, "each output is its input shifted by at most 2 px (1/8 of 16) either way"
        offsets.add(found[0])
        assert (out == 0).sum() == 16 * 16 - (16 - abs(found[0][0])) * (16 - abs(found[0][1]))
    assert len(offsets) > 5, "images of one batch get different offsets"
    blurred = build_pipeline("translation")(images)
    assert not torch.isin(blurred[blurred != 0], images).all(), "translation resamples (the contrast)"
