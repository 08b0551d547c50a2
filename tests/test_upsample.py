"""The field generator's ×2 upsampling: bilinear without a 2-pixel ripple, still circular and tileable."""

import pytest
import torch
import torch.nn.functional as F

from artgan.inference.fields import render_tiled
from artgan.nn import FieldGenerator, set_padding
from artgan.nn.conditional import Upsample2x


def test_bilinear_equals_bilinear_interpolation_inside_and_nearest_repeats_pixels():
    x = torch.randn(2, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    want = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    got = Upsample2x(3, "bilinear")(x)
    assert got.shape == want.shape
    assert torch.allclose(got[..., 1:-1, 1:-1], want[..., 1:-1, 1:-1], atol=1e-6)
    assert torch.equal(Upsample2x(3, "nearest")(x), x.repeat_interleave(2, -2).repeat_interleave(2, -1))
    with pytest.raises(ValueError, match="nearest, bilinear"):
        Upsample2x(3, "bicubic")


def test_circular_bilinear_upsampling_wraps_around():
    # upsampling commutes with a roll by one cell (two pixels) only if the edges wrap
    x = torch.randn(1, 2, 6, 8, generator=torch.Generator().manual_seed(1))
    up = Upsample2x(2, "bilinear")
    set_padding(up, "circular")
    assert torch.allclose(up(torch.roll(x, 1, dims=-1)), torch.roll(up(x), 2, dims=-1), atol=1e-6)
    set_padding(up, "reflect")
    assert not torch.allclose(up(torch.roll(x, 1, dims=-1)), torch.roll(up(x), 2, dims=-1), atol=1e-3)


def _generator(upsample: str) -> FieldGenerator:
    torch.manual_seed(0)
    G = FieldGenerator(classes=2, local=2, global_=2, embed=2, widths=(8, 8, 4), upsample=upsample).eval()
    for module in G.modules():  # non-trivial running statistics, as after training
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return G


@pytest.mark.parametrize("wrap", [False, True])
def test_bilinear_generator_renders_the_same_in_tiles(wrap):
    G = _generator("bilinear")
    set_padding(G, "circular" if wrap else "reflect")
    rows, cols = 7, 9
    shapes = G.latent_shapes(rows, cols)
    latents = {key: [torch.randn(1, *shape, generator=torch.Generator().manual_seed(i)) for i, shape in enumerate(group)]
               for key, group in shapes.items()}
    labels = torch.tensor([[0.3, 0.7]])
    with torch.no_grad():
        whole = G(latents, labels)[0]
        into = torch.zeros_like(whole)
        render_tiled(lambda part: G(part, labels), latents, (rows, cols), factor=G.factor, margin=G.field_margin(),
                     tile=3, wrap=wrap, into=into, device="cpu")
    assert torch.allclose(into, whole, atol=1e-5)


def test_bilinear_generator_has_the_same_weights_and_reaches_further():
    nearest, bilinear = _generator("nearest"), _generator("bilinear")
    assert nearest.state_dict().keys() == bilinear.state_dict().keys()
    assert bilinear.field_margin() >= nearest.field_margin()


def _periodic_smooth(side: int, seed: int) -> torch.Tensor:
    """Blurred noise that wraps around and favours no pixel phase."""
    noise = torch.rand(4, 3, side, side, generator=torch.Generator().manual_seed(seed))
    return F.avg_pool2d(F.pad(noise, (2, 2, 2, 2), mode="circular"), 5, stride=1)


def test_ripple_ratio_sees_a_two_pixel_ripple_that_raises_the_seam_figure_without_a_seam():
    from artgan.metrics.seams import ripple_ratio, seam_ratio

    smooth = _periodic_smooth(64, 2)
    assert abs(ripple_ratio(smooth) - 1) < 0.05 and abs(seam_ratio(smooth) - 1) < 0.05
    # half of it repeated in 2×2 blocks, as a nearest upsampling leaves it: still periodic, no seam
    blocks = F.interpolate(_periodic_smooth(32, 3), scale_factor=2, mode="nearest")
    rippled = 0.5 * smooth + 0.5 * blocks
    assert ripple_ratio(rippled) > 1.2 and seam_ratio(rippled) > 1.1


def test_pattern_config_refuses_an_unknown_upsampling():
    from artgan.errors import ArtganError
    from artgan_pattern import PatternConfig

    assert PatternConfig(upsample="bilinear").upsample == "bilinear"
    with pytest.raises(ArtganError, match="upsample: 'cubic' is not one of nearest, bilinear"):
        PatternConfig(upsample="cubic")


def test_step_profile_finds_a_grid_tied_to_the_period_and_none_in_smooth_noise():
    from artgan.metrics.seams import step_profile

    smooth = _periodic_smooth(64, 4)
    assert max(abs(v - 1) for v in step_profile(smooth, 16)) < 0.1
    grid = smooth.clone()
    grid[..., :, 12::16] += 0.1  # a faint line every 16 columns
    profile = step_profile(grid, 16)
    assert profile[11] > 1.3 and profile[12] > 1.3 and min(profile) < 1
    with pytest.raises(ValueError, match="16-pixel periods"):
        step_profile(smooth[..., :60], 16)
