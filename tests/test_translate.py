"""Any-size translation: tiles agree with whole-image runs; modes, alpha, strength, colour."""

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
from artgan.errors import ArtganError
from artgan.inference.tiling import _starts, translate_tiled
from artgan.metrics.ssim import ssim
from artgan_cyclegan import CycleGANPlugin


def translate_tensor(model, picture, **kw):
    return translate_tiled(lambda x: CycleGANPlugin._translate(model, x), model.nets.values(), picture, **kw)


def stylize_image(model, image, **options):
    return artgan.to_pil(model.stylize(image, **options))[0]


@pytest.fixture(scope="module")
def tiny_style(tiny_style_run):
    return artgan.load(str(tiny_style_run), device="cpu", precision="fp32")


def _picture(height, width, seed=0):
    generator = torch.Generator().manual_seed(seed)
    smooth = torch.nn.functional.interpolate(torch.rand(1, 3, 8, 8, generator=generator), size=(height, width), mode="bicubic")
    return smooth.clamp(0, 1) * 2 - 1


def test_tiled_run_matches_the_whole_image_run(tiny_style):
    picture = _picture(300, 452)
    whole = translate_tensor(tiny_style, picture, tile=1024)
    tiled = translate_tensor(tiny_style, picture, tile=128, overlap=32, margin=64)
    assert (whole - tiled).abs().max() < 0.02, "tiles differ from the whole-image result"
    # no seam: across every tile boundary the output changes no more than it does elsewhere
    columns = (tiled[..., 1:] - tiled[..., :-1]).abs().mean(dim=(0, 1, 2))
    boundaries = [s - 1 for s in _starts(452, 128, 32)[1:]] + [s + 127 for s in _starts(452, 128, 32)[:-1]]
    assert columns[boundaries].max() < 2 * columns.mean() + 1e-3


def test_tile_starts_cover_and_align():
    for length in (64, 129, 1000, 4000):
        starts = _starts(length, 256, 64)
        assert starts[0] == 0 and starts[-1] + 256 >= length and all(s % 64 == 0 for s in starts)


def test_large_images_need_no_more_than_a_tile_of_network_memory(tiny_style):
    seen = []

    def translate(images):
        seen.append(images.shape[-2:])
        return CycleGANPlugin._translate(tiny_style, images)

    translate_tiled(translate, tiny_style.nets.values(), _picture(700, 900), tile=256, overlap=64, margin=64, stats_size=256)
    assert max(h * w for h, w in seen) <= (256 + 2 * 64) ** 2


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16"])
def test_any_mode_in_alpha_kept_out(tiny_style, mode):
    if mode == "I;16":
        image = Image.fromarray((np.arange(40 * 30, dtype=np.uint16).reshape(30, 40) * 50))
    else:
        image = Image.new(mode, (40, 30))
    out = stylize_image(tiny_style, image)
    assert out.size == (40, 30)
    assert out.mode == ("RGBA" if mode in ("RGBA", "LA") else "RGB")


def test_alpha_channel_survives(tiny_style):
    image = Image.new("RGBA", (32, 32), (200, 10, 10, 255))
    image.putpixel((3, 3), (0, 0, 0, 0))
    out = stylize_image(tiny_style, image)
    assert out.getpixel((3, 3))[3] == 0 and out.getpixel((10, 10))[3] == 255


def test_strength_and_max_size_and_preserve_color(tiny_style):
    image = Image.fromarray((60 + np.random.default_rng(0).random((60, 80, 3)) * 130).astype(np.uint8))  # in gamut
    untouched = stylize_image(tiny_style, image, strength=0.0)
    assert np.abs(np.asarray(untouched, dtype=int) - np.asarray(image, dtype=int)).max() <= 1
    assert stylize_image(tiny_style, image, max_size=40).size == (40, 30)
    kept = stylize_image(tiny_style, image, preserve_color=True)
    original_chroma = np.asarray(image.convert("YCbCr"), dtype=int)[..., 1:]
    kept_chroma = np.asarray(kept.convert("YCbCr"), dtype=int)[..., 1:]
    assert np.abs(kept_chroma - original_chroma).mean() < 1.5
    with pytest.raises(ArtganError, match="strength"):
        stylize_image(tiny_style, image, strength=2.0)


def test_ssim_is_one_for_the_same_picture_and_lower_for_noise():
    picture = _picture(64, 64)
    assert ssim(picture, picture).item() == pytest.approx(1.0, abs=1e-5)
    noisy = (picture + 0.5 * torch.randn_like(picture)).clamp(-1, 1)
    assert ssim(picture, noisy).item() < 0.5
