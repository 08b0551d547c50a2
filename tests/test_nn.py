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


@pytest.mark.parametrize("height, width", [(5, 7), (1, 3), (8, 8)])
def test_resize_upsampling_equals_upsample_pad_convolve(height, width):
    torch.manual_seed(0)
    block = Upsample(3, 4, "resize")
    x = torch.randn(2, 3, height, width)
    unit = block[1]
    expected = F.conv2d(F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), (1, 1, 1, 1), mode="reflect"), unit[1].weight)
    expected = unit[3](unit[2](expected))
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)
    # and it trains the same 3×3 weight
    grad = torch.autograd.grad(block(x).square().sum(), unit[1].weight)[0]
    torch.testing.assert_close(grad, torch.autograd.grad(expected.square().sum(), unit[1].weight)[0], atol=1e-4, rtol=1e-4)
