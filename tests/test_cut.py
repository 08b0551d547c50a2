"""The ``cut`` plugin (CUT / FastCUT): contract, PatchNCE maths, training through the CLI, stylize."""

import math

import pytest
import torch
from PIL import Image

from artgan.errors import ArtganError
from artgan.images import write_random_images
from artgan_cyclegan import CycleGANConfig
from artgan_cyclegan import plugin as cyclegan
from artgan_cyclegan.cut import CUTConfig, plugin
from artgan_cyclegan.model import ResnetGenerator
from artgan_cyclegan.patchnce import ProjectionHeads, patchnce, patchnce_loss
from conftest import run_cli

TINY = ["width=4", "downsamplings=1", "blocks=1", "d_width=4", "d_layers=1", "crop=16", "scale_min=16", "scale_max=24",
        "nce_patches=16", "nce_units=8", "sample_every=0", "log_every=1",
        "lr_decay_start=1"]  # a constant rate: the decay is planned from --steps, which the split run changes


def _tiny_args(*extra: str) -> list[str]:
    return [a for option in TINY + list(extra) for a in ("-c", option)]


def _data(tmp_path):
    write_random_images(tmp_path / "a", count=4, size=(32, 32), seed=1)
    write_random_images(tmp_path / "b", count=4, size=(40, 32), seed=2)
    return ["--data-a", tmp_path / "a", "--data-b", tmp_path / "b"]


def test_contract_kit(tmp_path):
    from artgan.testing import check_plugin

    check_plugin(plugin, tmp_path)


def test_patchnce_is_low_when_patches_match_and_high_when_shuffled():
    generator = torch.Generator().manual_seed(0)
    keys = torch.nn.functional.normalize(torch.randn(2, 64, 32, generator=generator), dim=-1)
    matched = patchnce(keys.clone(), keys, 0.07).item()
    shuffled = patchnce(keys[:, torch.randperm(64, generator=generator)], keys, 0.07).item()
    assert matched < 0.1
    assert shuffled > math.log(64)  # worse than guessing: the true partner scores as a negative
    # on a real encoder: an output that is its input scores far lower than one shifted in place
    torch.manual_seed(0)
    net = ResnetGenerator(8, 1, 2, "resize")
    heads = ProjectionHeads(net.tap_channels(), 16)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    same = patchnce_loss(net, heads, x, x, 64, 0.07).item()
    moved = patchnce_loss(net, heads, x, torch.roll(x, shifts=(7, 11), dims=(-2, -1)), 64, 0.07).item()
    assert same < 0.5 * moved


def test_encoder_taps_read_the_generator_without_changing_its_weights():
    net = ResnetGenerator(4, 2, 3, "resize")
    assert net.encoder_taps() == [-1, 0, 1, 3, 4]  # pixels, stem, first downsampling, residual blocks 1 and 2 of 3
    x = torch.rand(1, 3, 16, 20) * 2 - 1
    features = net.encode(x, net.encoder_taps())
    assert [f.shape[1] for f in features] == net.tap_channels()
    torch.testing.assert_close(features[-1], net.body[:5](x))
    torch.testing.assert_close(features[0], x)
    with pytest.raises(ValueError, match="multiples of 4"):
        net.encode(torch.zeros(1, 3, 18, 20), net.encoder_taps())
    # the weights layout is CycleGAN's: a shipped style loads into CUT's generator unchanged
    from safetensors.torch import load_file

    from artgan_cyclegan import STYLES_DIR

    weights = load_file(STYLES_DIR / "vangogh" / "model.safetensors")
    shipped = {k.split("/", 1)[1]: v.float() for k, v in weights.items() if k.startswith("G_AB/")}
    assert shipped, sorted(weights)[:3]
    generator = plugin.build(CUTConfig())["G_AB"]
    generator.load_state_dict(shipped, strict=True)


def test_inference_is_the_cyclegan_generator_alone():
    cut_nets, cycle_nets = plugin.build(CUTConfig()), cyclegan.build(CycleGANConfig())
    assert plugin.inference_roles == ("G_AB",)
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert count(cut_nets["G_AB"]) == count(cycle_nets["G_AB"])
    assert set(cut_nets) == set(plugin.roles) and "G_BA" not in cut_nets


def test_fastcut_weighs_nce_ten_and_drops_the_identity_term(tmp_path):
    config = plugin.variants["fastcut"]
    assert config.lambda_nce == 10 and not config.nce_identity
    tiny = plugin.tiny_config()
    source = plugin.test_source(tmp_path, tiny)
    torch.manual_seed(0)
    batch = {k: v[None] for k, v in plugin.dataset(source, tiny)[0].items()}
    nets = plugin.build(tiny)
    _, cut_logs = plugin.loss("G", nets, batch, tiny)
    fast = CUTConfig(**{**tiny.__dict__, "lambda_nce": 10.0, "nce_identity": False})
    loss, fast_logs = plugin.loss("G", nets, batch, fast)
    assert "nce_identity" in cut_logs and "nce_identity" not in fast_logs
    torch.testing.assert_close(loss, fast_logs["adversarial"] + 10 * fast_logs["nce"])
    d_loss, _ = plugin.loss("D", nets, batch, fast)
    assert d_loss.item() > 0


def test_crop_must_fit_the_encoder(tmp_path):
    source = plugin.test_source(tmp_path, plugin.tiny_config())
    with pytest.raises(ArtganError, match="multiple of"):
        plugin.dataset(source, CUTConfig(width=4, downsamplings=2, blocks=1, d_layers=1, crop=18, scale_min=18, scale_max=24))


def test_train_checkpoint_resume_and_stylize_through_the_cli(tmp_path):
    from artgan import checkpoint as ckpt

    data = _data(tmp_path)
    run_cli("train", "cut", *data, "--steps", 6, "--out", tmp_path / "whole", "--quiet", *_tiny_args())
    run_cli("train", "cut", *data, "--steps", 3, "--out", tmp_path / "split", "--quiet", *_tiny_args())
    early = ckpt.find_checkpoint(tmp_path / "split").read_weights()[0]
    run_cli("train", "--out", tmp_path / "split", "--steps", 6, "--resume", "--quiet")
    whole = ckpt.find_checkpoint(tmp_path / "whole")
    split = ckpt.find_checkpoint(tmp_path / "split")
    assert whole.step == split.step == 6
    (a, a_ema), (b, b_ema) = whole.read_weights(), split.read_weights()
    assert a.keys() == b.keys() == {"G_AB", "D", "H", "pool"}
    for role in a:
        for key in a[role]:
            torch.testing.assert_close(a[role][key], b[role][key], rtol=0, atol=1e-6, msg=f"{role}.{key}")
    for role in a_ema:
        for key in a_ema[role]:
            torch.testing.assert_close(a_ema[role][key], b_ema[role][key], rtol=0, atol=1e-6)
    moved = max((early["H"][k] - b["H"][k]).abs().max().item() for k in b["H"])
    assert moved > 0, "the projection heads should train with the generator"

    photo = tmp_path / "photo.png"
    Image.effect_noise((37, 29), 60).convert("RGB").save(photo)
    run_cli("export", tmp_path / "whole", "-o", tmp_path / "exported")  # G_AB alone, float16
    for style in ("whole", "exported"):
        out = tmp_path / f"painted-{style}.png"
        run_cli("stylize", photo, "--style", tmp_path / style, "-o", out)
        with Image.open(out) as painted, Image.open(photo) as original:
            assert painted.size == (37, 29) and painted.mode == "RGB"
            assert painted.tobytes() != original.tobytes()
