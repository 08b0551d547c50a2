"""The sprites plugin: RGBA sheets with atlases, single PNGs, pixel-art steps, bad options."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import artgan
from artgan.cli import cli
from artgan.errors import ArtganError
from artgan.testing import check_plugin
from artgan_sprites import plugin
from artgan_sprites.classes import building_class, character_class, prop_class
from artgan_sprites.data import fit_sprite
from artgan_sprites.formats import kmeans_palette, quantise, scale_nearest, snap_alpha
from artgan_sprites.model import snap_alpha_through
from artgan_sprites.quality import semi_transparent_where
from artgan_sprites.testdata import write_sprite_classes

TINY = ["image_size=8", "shape_dim=4", "colour_dim=2", "embed=4", "widths=[8,4]", "d_widths=[4,8]",
        "batch_size=4", "sample_every=0", "checkpoint_every=0", "precision=fp32", "workers=0"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = tmp_path_factory.mktemp("sprites")
    write_sprite_classes(root / "data", 8)
    artgan.train("sprites", root / "data", root / "run", steps=2, config=TINY, device="cpu", progress=False)
    return artgan.load(str(root / "run"), device="cpu", precision="fp32")


def test_contract(tmp_path):
    check_plugin(plugin, tmp_path)


def test_sheet_atlas_matches_the_sheet(model, tmp_path):
    result = CliRunner().invoke(cli, ["generate", str(model.name), "-n", "5", "--seed", "3", "--scale", "3",
                                      "-o", str(tmp_path / "crowd.png")])
    assert result.exit_code == 0, result.output
    atlas = json.loads((tmp_path / "crowd.json").read_text())
    sheet = Image.open(tmp_path / "crowd.png")
    assert sheet.mode == "RGBA"
    assert [atlas["meta"]["size"]["w"], atlas["meta"]["size"]["h"]] == list(sheet.size)
    single = model.generate(n=5, seed=3, scale=3).pixels
    pixels = torch.from_numpy(np.array(sheet)).permute(2, 0, 1).float() / 127.5 - 1
    frames = list(atlas["frames"].values())
    assert len(frames) == 5 and [f["seed"] for f in frames] == [3, 4, 5, 6, 7]
    for frame, sprite in zip(frames, single):
        box = frame["frame"]
        assert (box["w"], box["h"]) == (24, 24) and frame["class"] in model.labels
        cut = pixels[:, box["y"] : box["y"] + box["h"], box["x"] : box["x"] + box["w"]]
        torch.testing.assert_close(cut, sprite, atol=1 / 127.5, rtol=0)
    # outside the frames the sheet is fully transparent
    covered = torch.zeros(sheet.size[1], sheet.size[0], dtype=torch.bool)
    for frame in frames:
        b = frame["frame"]
        covered[b["y"] : b["y"] + b["h"], b["x"] : b["x"] + b["w"]] = True
    assert (pixels[3][~covered] == -1).all()


def test_each_sprite_comes_from_its_own_seed(model):
    many = model.generate(n=4, seed=10)
    alone = model.generate(n=1, seed=12, label=many.classes[2])
    torch.testing.assert_close(alone.pixels[0], many.pixels[2])


def test_folder_holds_one_rgba_png_per_sprite(model, tmp_path):
    files = artgan.write(model.generate(n=3, seed=1, label="disc"), tmp_path / "houses")
    assert sorted(p.name for p in files) == ["0000_disc.png", "0001_disc.png", "0002_disc.png"]
    assert all(Image.open(p).mode == "RGBA" for p in files)


def test_binary_alpha_and_exact_nearest_scale(model):
    sprites = model.generate(n=6, seed=2, alpha="binary").pixels
    assert set(sprites[:, 3].unique().tolist()) <= {-1.0, 1.0}
    assert (sprites[:, :3][sprites[:, 3:].expand(-1, 3, -1, -1) < 0] == -1).all()  # no colour where transparent
    big = model.generate(n=6, seed=2, alpha="binary", scale=4).pixels
    assert big.shape[-2:] == (32, 32)
    assert torch.equal(big[..., ::4, ::4], sprites)
    for dy in range(4):
        for dx in range(4):
            assert torch.equal(big[..., dy::4, dx::4], sprites)
    assert torch.equal(scale_nearest(sprites, 1), sprites)


def test_palette_limits_colours(model, tmp_path):
    for sprite in model.generate(n=4, seed=5, palette=3, scale=2).pixels:
        visible = sprite[3] > -1
        assert len(torch.unique(sprite[:3].permute(1, 2, 0)[visible], dim=0)) <= 3
    swatches = Image.new("RGBA", (2, 1))
    swatches.putdata([(255, 0, 0, 255), (0, 0, 255, 255)])
    swatches.save(tmp_path / "palette.png")
    sprite = model.generate(n=2, seed=5, palette=str(tmp_path / "palette.png")).pixels
    colours = sprite[:, :3].permute(0, 2, 3, 1)[sprite[:, 3] > -1]
    allowed = torch.tensor([[1.0, -1.0, -1.0], [-1.0, -1.0, 1.0]])
    assert torch.cdist(colours, allowed).min(1).values.max() < 1e-6


def test_kmeans_and_quantise_on_known_colours():
    colours = torch.tensor([[-1.0, -1.0, -1.0]] * 5 + [[1.0, 1.0, 1.0]] * 5 + [[0.9, 0.9, 0.9]])
    centres = kmeans_palette(colours, 2)
    torch.testing.assert_close(centres[centres[:, 0].argsort(), 0], torch.tensor([-1.0, 5.9 / 6]))  # five 1.0, one 0.9
    sprite = torch.cat([colours.T.reshape(3, 1, 11), torch.ones(1, 1, 11)])[None]
    assert len(torch.unique(quantise(sprite, 2)[0, :3].reshape(3, -1), dim=1).T) == 2


def test_vary_colour_keeps_the_silhouette(model):
    variants = model.generate(n=4, seed=7, vary="colour", alpha="soft").pixels
    assert all(torch.equal(v[3], variants[0, 3]) for v in variants)
    assert not torch.allclose(variants[1, :3], variants[0, :3])
    shapes = model.generate(n=3, seed=7, vary="shape", alpha="soft").pixels
    assert not torch.equal(shapes[1, 3], shapes[0, 3])


def test_interpolation_runs_between_two_seeds(model, tmp_path):
    strip = model.generate(seed=4, interpolate=9, frames=5, label="disc")
    assert strip.sequence and strip.pixels.shape[0] == 5
    torch.testing.assert_close(strip.pixels[0], model.generate(seed=4, label="disc").pixels[0])
    files = artgan.write(strip, tmp_path / "walk.gif")
    assert Image.open(files[0]).n_frames >= 5


def test_bad_options_are_refused(model, tmp_path):
    for options, message in [({"scale": 0}, "scale"), ({"palette": 1}, "2 to 256"), ({"palette": "nowhere.png"},
                             "no such palette"), ({"label": "house"}, "unknown label"), ({"vary": "size"}, "vary"),
                             ({"interpolate": 3, "vary": "colour"}, "not both"), ({"scale": 1.5}, "scale")]:
        with pytest.raises(ArtganError, match=message):
            model.generate(**options)
    many = Image.new("RGBA", (300, 1))
    many.putdata([(i % 256, i // 256, 0, 255) for i in range(300)])
    many.save(tmp_path / "big.png")
    with pytest.raises(ArtganError, match="more than 256"):
        model.generate(palette=str(tmp_path / "big.png"))
    with pytest.raises(ArtganError, match="no such folder"):
        plugin.dataset(str(tmp_path / "missing"), plugin.Config())
    with pytest.raises(ArtganError, match="multiple of"):
        plugin.build(plugin.Config(image_size=36))
    (tmp_path / "taken.json").write_text("{}")  # the atlas would overwrite a file: refused before any work
    result = CliRunner().invoke(cli, ["generate", str(model.name), "-o", str(tmp_path / "taken.png")])
    assert result.exit_code == 2 and "taken.json" in result.output + result.stderr and not (tmp_path / "taken.png").exists()


def test_fit_sprite_keeps_native_pixel_art_and_shrinks_large_art():
    native = Image.new("RGBA", (6, 4), (200, 10, 10, 255))
    out = fit_sprite(native, 8, binary_alpha=True)
    assert out.shape == (4, 8, 8) and int((out[3] > 0).sum()) == 24
    assert torch.allclose(out[0][out[3] > 0], torch.tensor(200 / 127.5 - 1))
    large = Image.new("RGBA", (64, 32), (0, 0, 0, 0))
    large.paste(Image.new("RGBA", (63, 31), (0, 255, 0, 255)), (0, 0))
    soft = fit_sprite(large, 8, binary_alpha=False)
    assert soft.shape == (4, 8, 8) and (soft[3] > -1).sum() > 0
    assert torch.allclose(soft[1][soft[3] > -1], torch.tensor(1.0), atol=1e-4)  # premultiplied: no dark halo


def test_classes_from_the_shared_file_names():
    assert character_class("dcss-tiles-nov2015__animals_bat.png") == "animal"
    assert character_class("dcss-tiles-nov2015__undead_lich.png") is None  # undead and demons mix every body shape
    assert character_class("kenney-robot-pack__x.png") is None
    assert prop_class("kenney-foliage-pack__Default-size_foliagePack_053.png") == "rock"
    assert prop_class("kenney-foliage-pack__Default-size_foliagePack_010.png") == "tree"
    assert prop_class("kenney-abstract-platformer__Items_blueCrystal.png") == "item"
    assert building_class("kenney-space-kit-2__kenney_spacekit2_isometric_hangar_largeA_SE.png") == "hangar"


def test_semi_transparent_where_tells_edges_from_haze_and_holes():
    alpha = torch.zeros(8, 8)
    alpha[2:6, 2:6] = 1.0  # a solid square
    alpha[2, 2] = 0.6  # an anti-aliased corner: on the silhouette's edge ring
    alpha[0, 7] = 0.1  # a faint speck away from it: haze
    alpha[3, 3] = 0.8  # a soft pixel well inside: a hole
    sprite = torch.cat([torch.zeros(3, 8, 8), alpha[None]])[None] * 2 - 1
    where = semi_transparent_where(sprite)
    assert where["share"] == pytest.approx(3 / 64)
    assert (where["edge"], where["outside"], where["inside"]) == pytest.approx((1 / 3, 1 / 3, 1 / 3))


def test_snap_alpha_clears_the_sigmoid_tails_only():
    levels = torch.tensor([0, 1, 4, 5, 128, 250, 251, 254, 255], dtype=torch.float32)
    sprite = torch.cat([torch.full((3, 1, 9), 0.5), (levels / 127.5 - 1).view(1, 1, 9)])[None]
    snapped = snap_alpha(sprite, 4)
    stored = ((snapped[0, 3, 0] + 1) * 127.5).round().tolist()
    assert stored == [0, 0, 0, 5, 128, 250, 255, 255, 255]
    assert (snapped[0, :3, 0, :3] == -1).all() and (snapped[0, :3, 0, 3:] == 0.5).all()  # no colour where off
    assert torch.equal(snap_alpha(sprite, 0)[:, 3], sprite[:, 3])
    raw = sprite.clone().requires_grad_()
    through = snap_alpha_through(raw, 4)
    torch.testing.assert_close(through.detach(), snapped)
    through.sum().backward()
    assert torch.equal(raw.grad, torch.ones_like(sprite))  # straight through: the identity's gradient


def test_soft_sprites_come_without_faint_haze(model):
    steep = artgan.load(str(model.name), device="cpu", precision="fp32")
    with torch.no_grad():  # a steep alpha head: sigmoid tails on many pixels, as a trained model has
        steep.nets["G"].alpha_head.weight.mul_(200)

    def tails(pixels):
        stored = ((pixels[:, 3] + 1) * 127.5).round()
        return int((((stored >= 1) & (stored <= 4)) | ((stored >= 251) & (stored <= 254))).sum())

    raw = steep.generate(n=8, seed=3, alpha="soft", alpha_snap=0).pixels
    snapped = steep.generate(n=8, seed=3, alpha="soft").pixels
    assert tails(raw) > 0 and tails(snapped) == 0
    assert torch.equal(snap_alpha(raw, 4), snapped)
