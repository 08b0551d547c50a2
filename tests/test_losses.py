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
    D = Augmented(torch.nn.Flatten(), build_pipeline("translation,color,cutout,flip"))
    for channels in (1, 3):
        images = (torch.rand(2, channels, 16, 16) * 2 - 1).requires_grad_()
        out = D(images)
        out.sum().backward()
        assert out.shape == (2, channels * 256) and images.grad.abs().sum() > 0
    with pytest.raises(ArtganError, match="unknown policy"):
        build_pipeline("zoom")
