"""Shared building blocks: the fast paths give the textbook results."""

import pytest
import torch
import torch.nn.functional as F

from artgan.nn import InstanceNorm, ReflectionPad, Upsample, norm_statistics


@pytest.mark.parametrize("batch", [1, 3])
def test_instance_norm_matches_the_reference(batch):
    torch.manual_seed(0)
    norm = InstanceNorm(4)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 2.0)
        norm.bias.uniform_(-1.0, 1.0)
    x = torch.randn(batch, 4, 9, 7) * 3 + 1
    expected = F.instance_norm(x, weight=norm.weight, bias=norm.bias, eps=norm.eps)
    torch.testing.assert_close(norm(x), expected)
    # gradients flow as through the reference
    grad = torch.autograd.grad(norm(x).square().sum(), norm.weight)[0]
    torch.testing.assert_close(grad, torch.autograd.grad(expected.square().sum(), norm.weight)[0])


def test_recorded_statistics_replay_on_any_part_of_the_picture():
    torch.manual_seed(0)
    norm = InstanceNorm(3)
    picture = torch.randn(1, 3, 16, 16) * 2 + 0.5
    with torch.no_grad(), norm_statistics(norm, "record"):
        whole = norm(picture)
    with torch.no_grad(), norm_statistics(norm, "replay"):
        part = norm(picture[..., 4:12, 2:10])
    torch.testing.assert_close(part, whole[..., 4:12, 2:10])
    torch.testing.assert_close(whole, F.instance_norm(picture, weight=norm.weight, bias=norm.bias))


def test_reflection_pad_keeps_bf16_under_autocast():
    x = torch.randn(1, 2, 5, 5, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = ReflectionPad(2)(x)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, F.pad(x.float(), (2, 2, 2, 2), mode="reflect").bfloat16())


#: What each resize kind of Upsample means, written the slow way: upsample, pad, convolve.
_UPSAMPLED = {
    "resize": lambda x: F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), (1, 1, 1, 1), mode="reflect"),
    "bilinear": lambda x: F.pad(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), (1, 1, 1, 1), mode="replicate"),
}


@pytest.mark.parametrize("kind", sorted(_UPSAMPLED))
@pytest.mark.parametrize("height, width", [(5, 7), (1, 3), (8, 8)])
def test_resize_upsampling_equals_upsample_pad_convolve(height, width, kind):
    torch.manual_seed(0)
    block = Upsample(3, 4, kind)
    x = torch.randn(2, 3, height, width)
    unit = block[1]
    expected = F.conv2d(_UPSAMPLED[kind](x), unit[1].weight)
    expected = unit[3](unit[2](expected))
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)
    # and it trains the same 3×3 weight
    grad = torch.autograd.grad(block(x).square().sum(), unit[1].weight)[0]
    torch.testing.assert_close(grad, torch.autograd.grad(expected.square().sum(), unit[1].weight)[0], atol=1e-4, rtol=1e-4)


def test_bilinear_upsampling_leaves_far_less_at_the_two_pixel_period_than_nearest():
    """The reason the kind exists: upsampled noise (through the same centre-tap conv) keeps
    energy near the 2-pixel period with nearest repetition, and much less with bilinear."""
    torch.manual_seed(0)
    x = torch.randn(1, 1, 64, 64)
    identity = torch.zeros(1, 1, 3, 3)
    identity[0, 0, 1, 1] = 1.0

    def share_near_two_pixels(kind: str) -> float:
        from artgan.nn.blocks import _subpixel_kernel

        y = F.pixel_shuffle(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), _subpixel_kernel(identity, kind)), 2)
        power = torch.fft.rfft2(y[0, 0] - y.mean()).abs().square()
        fy = torch.fft.fftfreq(128).abs()[:, None]
        fx = torch.fft.rfftfreq(128)[None, :]
        return float(power[(fy.maximum(fx) > 0.375)].sum() / power.sum())  # periods under 2.7 px

    nearest, bilinear = share_near_two_pixels("resize"), share_near_two_pixels("bilinear")
    assert nearest > 0.02 and bilinear < nearest / 5, (nearest, bilinear)  # measured: 4.3 % and 0.3 %
    with pytest.raises(ValueError, match="bilinear"):
        Upsample(3, 4, "cubic")
