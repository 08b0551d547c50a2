"""The cyclegan plugin: the paper's pieces, the light default, data, and shipped styles."""

import pytest
import torch
from PIL import Image

import artgan
from artgan.errors import ArtganError
from artgan_cyclegan import CycleGANConfig, plugin
from artgan_cyclegan.model import ImagePool, ResnetGenerator


def test_paper_configuration_is_available_by_name():
    paper = plugin.variants["paper"]
    assert (paper.width, paper.downsamplings, paper.blocks, paper.upsample, paper.crop) == (64, 2, 9, "transpose", 256)
    default = CycleGANConfig()
    assert (default.lambda_cycle, default.lambda_identity, default.pool_size) == (10.0, 0.5, 50)
    assert plugin.train_defaults["lr_decay_start"] == 0.5


def test_generator_takes_any_size():
    G = ResnetGenerator(width=4, downsamplings=3, blocks=1, upsample="resize")
    for size in ((37, 50), (8, 8), (64, 24)):
        out = G(torch.rand(1, 3, *size) * 2 - 1)
        assert out.shape == (1, 3, *size) and out.abs().max() <= 1


def test_pool_fills_then_swaps_half_the_time():
    torch.manual_seed(0)
    pool = ImagePool(2, (1, 2, 2))
    first = pool.query(torch.zeros(2, 1, 2, 2))
    assert int(pool.count) == 2 and torch.equal(first, torch.zeros(2, 1, 2, 2))
    outs = torch.cat([pool.query(torch.full((1, 1, 2, 2), float(i + 1))) for i in range(200)])
    from_history = (outs.flatten(1)[:, 0] != torch.arange(1, 201, dtype=torch.float32)).float().mean()
    assert 0.35 < from_history < 0.65


def test_data_needs_two_collections_and_big_enough_crops(tmp_path):
    with pytest.raises(ArtganError, match="--data-a"):
        plugin.dataset(str(tmp_path), CycleGANConfig())
    with pytest.raises(ArtganError, match="too small"):
        plugin.dataset({"a": str(tmp_path), "b": str(tmp_path)}, CycleGANConfig(crop=16, scale_min=16))


def test_unpaired_crops_have_the_configured_size(tmp_path):
    source = plugin.test_source(tmp_path, plugin.tiny_config())
    item = plugin.dataset(source, plugin.tiny_config())[0]
    assert item["A"].shape == item["B"].shape == (3, 16, 16)
    assert item["A"].min() >= -1 and item["A"].max() <= 1


def test_variant_and_two_collections_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from artgan.cli import cli

    source = plugin.test_source(tmp_path / "data", plugin.tiny_config())
    args = ["train", "cyclegan", "--variant", "paper", "--data-a", source["a"], "--data-b", source["b"], "--steps", "1",
            "--out", str(tmp_path / "run"), "--quiet", "-c", "crop=16", "-c", "scale_min=16", "-c", "scale_max=16",
            "-c", "width=4", "-c", "blocks=1", "-c", "d_width=4", "-c", "d_layers=2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    meta = artgan.load(str(tmp_path / "run")).checkpoint.meta
    assert meta["model_config"]["upsample"] == "transpose" and meta["data"] == source
    bad = CliRunner().invoke(cli, ["train", "cyclegan", "--variant", "papr", "--data-a", "x", "--data-b", "y", "--out", str(tmp_path / "r2")])
    assert bad.exit_code == 2 and "did you mean 'paper'" in bad.stderr


@pytest.mark.parametrize("style", [p.tag for p in plugin.presets])
def test_shipped_styles_load_and_translate(style):
    model = artgan.load(f"cyclegan.{style}", device="cpu")
    out = model.stylize(Image.new("RGB", (64, 48), "grey")).pixels
    assert out.shape == (1, 3, 48, 64)
    card = (plugin.presets[[p.tag for p in plugin.presets].index(style)].path / "MODEL_CARD.md").read_text()
    for needed in ("artgan train cyclegan", "Wall time", "Hardware", "style_swd", "content_ssim"):
        assert needed in card, needed


def test_photo_exposure_darkens_and_brightens_photos_only(tmp_path):
    from artgan_cyclegan.data import expose

    grey = torch.full((3, 4, 4), 0.0)
    assert torch.allclose(expose(grey, 0.0), grey, atol=1e-6)
    assert expose(grey, -2.0).mean() < -0.3 < 0.3 < expose(grey, 2.0).mean()
    assert expose(torch.ones(3, 2, 2), 3.0).max() <= 1, "clipped at white"
    config = plugin.tiny_config()
    source = plugin.test_source(tmp_path, config)
    config.photo_exposure = 2.0
    torch.manual_seed(0)
    plain = plugin.dataset(source, plugin.tiny_config())
    exposed = plugin.dataset(source, config)
    torch.manual_seed(1)
    a = plain[0]
    torch.manual_seed(1)
    b = exposed[0]
    assert not torch.allclose(a["A"], b["A"]), "the photo's exposure moved"
    assert torch.equal(a["B"], b["B"]), "the painting is left as it is"
    from artgan.config import check_ranges

    with pytest.raises(ArtganError, match="photo_exposure"):
        check_ranges(CycleGANConfig(photo_exposure=-1))
