"""The fused float32 CPU inference path (artgan.nn.fastpath, artgan.nn.blocks.fused_forward)
gives the plain path's results, and is taken only where it is safe."""

import itertools

import pytest
import torch
import torch.nn.functional as F

import artgan.nn.blocks as blocks
from artgan.nn import fastpath, norm_statistics
from artgan_cyclegan.model import ResnetGenerator


def _generator(width, downsamplings, blocks_, upsample, channels_last=False):
    torch.manual_seed(0)
    G = ResnetGenerator(width, downsamplings, blocks_, upsample).eval().requires_grad_(False)
    for m in G.modules():  # norms with scales and shifts that matter, as in a trained model
        if isinstance(m, blocks.InstanceNorm):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_()
    return G.to(memory_format=torch.channels_last) if channels_last else G


def _plain(G, x):
    fastpath.ENABLED = False
    try:
        return G(x)
    finally:
        fastpath.ENABLED = True


@pytest.mark.parametrize("config,shape,channels_last", [
    ((4, 1, 1, "resize"), (1, 16, 16), False),
    ((8, 2, 2, "resize"), (1, 37, 45), True),  # odd sizes: the generator pads, the border code reflects
    ((8, 2, 1, "resize"), (2, 40, 56), False),  # a batch of two
    ((8, 2, 2, "bilinear"), (1, 37, 45), True),  # bilinear upsampling: a 6-tap transposed kernel
    ((6, 2, 1, "transpose"), (1, 33, 20), True),  # the paper's upsampling runs as it is, in the fused loop
    ((4, 3, 1, "resize"), (1, 9, 5), False),  # thinner than the reflection: replicate padding first
])
def test_fused_forward_gives_the_plain_result(config, shape, channels_last, monkeypatch):
    G = _generator(*config, channels_last=channels_last)
    x = torch.rand(shape[0], 3, *shape[1:]) * 2 - 1
    calls = []
    real = blocks.fused_forward
    monkeypatch.setattr("artgan_cyclegan.model.fused_forward", lambda *a: calls.append(1) or real(*a))
    with torch.no_grad():
        expected = _plain(G, x)
        assert not calls  # switched off: the module-by-module path
        got = G(x)
    assert calls, "float32 CPU inference should take the fused path"
    assert got.shape == expected.shape
    assert (got - expected).abs().max() < 1e-4


def test_recorded_statistics_replay_on_the_fused_path():
    """Tiled inference records instance-norm statistics on the whole picture and replays them."""
    G = _generator(8, 2, 1, "resize")
    x = torch.rand(1, 3, 48, 64) * 2 - 1
    tile = x[..., 8:40, 16:48]
    with torch.no_grad():
        results = []
        for enabled in (False, True):
            fastpath.ENABLED = enabled
            with norm_statistics(G, "record"):
                G(x)
            with norm_statistics(G, "replay"):
                results.append(G(tile))
        fastpath.ENABLED = True
        with norm_statistics(G, "record"):
            G(x)
        own = G(tile)  # the tile's own statistics: a different result, so replay really replays
    assert (results[0] - results[1]).abs().max() < 1e-4
    assert (own - results[1]).abs().max() > 1e-3


@pytest.mark.parametrize("kind, upsampled", [
    ("resize", lambda x: F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), (1, 1, 1, 1), mode="reflect")),
    ("bilinear", lambda x: F.pad(F.interpolate(x, scale_factor=2, mode="bilinear"), (1, 1, 1, 1), mode="replicate")),
])
def test_transposed_kernel_is_upsample_pad_conv(kind, upsampled):
    """One transposed convolution of the replicate-padded input is ×2 upsampling, padding, 3×3 conv."""
    torch.manual_seed(1)
    x, weight = torch.randn(2, 5, 7, 6, dtype=torch.float64), torch.randn(4, 5, 3, 3, dtype=torch.float64)
    expected = F.conv2d(upsampled(x), weight)
    padding = blocks._transposed_taps(kind)[1]
    got = F.conv_transpose2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), blocks._transposed_kernel(weight, kind), stride=2, padding=padding)
    assert got.shape == expected.shape
    assert (got - expected).abs().max() < 1e-10


@pytest.mark.parametrize("mode,pad,size", list(itertools.product(["reflect", "replicate"], [1, 3], [(4, 5), (9, 7)])))
def test_fill_border_is_f_pad(mode, pad, size):
    x = torch.randn(2, 3, *size)
    buffer = torch.zeros(2, 3, size[0] + 2 * pad, size[1] + 2 * pad)
    buffer[..., pad : pad + size[0], pad : pad + size[1]] = x
    blocks._fill_border(buffer, pad, mode)
    assert torch.equal(buffer, F.pad(x, (pad,) * 4, mode=mode))


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::torch.jit.TracerWarning")
def test_the_fast_path_stays_out_of_training_autocast_and_export():
    G = _generator(4, 1, 1, "resize").requires_grad_(True)
    x = torch.rand(1, 3, 16, 16)
    assert fastpath.active(x, *G.parameters()) is False  # autograd wants the plain operators
    with torch.no_grad():
        assert fastpath.active(x, *G.parameters()) is True
        assert fastpath.active(x.double()) is False
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert fastpath.active(x) is False  # bf16 keeps its own path
    G.requires_grad_(False)
    traced = torch.jit.trace(G, x, check_trace=False)  # an exported graph keeps the plain operators
    kinds = {node.kind() for node in traced.inlined_graph.nodes()}
    assert "aten::conv_transpose2d" not in kinds and "aten::group_norm" not in kinds
    loss = _generator(4, 1, 1, "resize").requires_grad_(True)(x).square().mean()
    loss.backward()  # and training still back-propagates
