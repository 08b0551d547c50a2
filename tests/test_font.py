"""The font plugin: file names, input cleaning, tracing, OTF/TTF files, the commands, the contract.

Everything runs on synthetic fonts made with fontTools in the test (no installed fonts needed).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from artgan.errors import ArtganError
from artgan_font.charset import CHARS, char_of_stem, file_stem
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def fonts(tmp_path_factory):
    """Two synthetic training fonts (two families) as real TTF files."""
    from artgan_font.testdata import write_test_fonts

    return write_test_fonts(tmp_path_factory.mktemp("fonts"), CHARS)


def ring_raster(size: int = 64) -> np.ndarray:
    """An 'O': a thick ring on the baseline (one outer contour, one hole)."""
    yy, xx = np.mgrid[:size, :size] + 0.5
    r = np.hypot(xx - 32, yy - 28)
    return np.clip(np.minimum(r - 10, 20 - r) + 0.5, 0, 1).astype(np.float32)


def test_file_names_say_the_character():
    assert [char_of_stem(s) for s in ("A", "a", "0", "U+0041", "u+003f", "question", "a_upper", "B_lower")] == \
        ["A", "a", "0", "A", "?", "?", "A", "b"]
    assert char_of_stem("hello") is None and char_of_stem("U+ZZZZ") is None
    for char in CHARS:  # every written name reads back as its character
        assert char_of_stem(file_stem(char)) == char


def test_unreadable_names_are_listed_in_one_error():
    from artgan_font.complete import read_references

    with pytest.raises(ArtganError) as error:
        read_references({"hello": None, "é": None, "a": None, "U+0061": None}, CHARS)
    message = str(error.value)
    assert "hello" in message and "é" in message and "U+0061" in message and "U+003F.png" in message


def test_dataset_renders_every_glyph_of_real_font_files(fonts, tmp_path):
    from artgan_font.data import FontGlyphs

    data = FontGlyphs(fonts, CHARS, 32, 3)
    assert data.families == ["Artgan Test A", "Artgan Test B"]
    assert bool(data.present.all()) and len(data) == 2 * len(CHARS)
    item = data[5]
    assert item["glyph"].shape == (1, 32, 32) and item["refs"].shape == (3, 1, 32, 32)
    assert int(item["label"]) not in item["ref_labels"].tolist()  # references are other characters of the font
    assert float(item["glyph"].max()) > 0.9 and float(item["glyph"].min()) == -1.0
    with pytest.raises(ArtganError, match="no .ttf or .otf"):
        FontGlyphs(tmp_path, CHARS, 32, 3)


def test_cleaning_flattens_lighting_removes_specks_and_sets_the_baseline():
    from PIL import Image

    from artgan_font.clean import ink_coverage, ink_extent, place

    truth = np.zeros((200, 160), dtype=np.float32)
    truth[40:170, 50:80] = 1  # a stem
    truth[40:70, 50:130] = 1  # an arm
    paper = np.linspace(0.55, 0.95, 160)[None, :] * np.ones((200, 1))  # lit from one side
    photo = paper * (1 - 0.8 * truth)
    photo[10, 10] = photo[190, 150] = 0.1  # specks of dust
    ink = ink_coverage(Image.fromarray(np.rint(photo * 255).astype(np.uint8), "L"))
    found, real = ink >= 0.5, truth >= 0.5
    assert (found & real).sum() / (found | real).sum() > 0.95
    assert not found[10, 10] and not found[190, 150]
    dark = ink_coverage(Image.fromarray(np.rint(truth * 200 + 20).astype(np.uint8), "L"))  # light ink on dark
    assert ((dark >= 0.5) == real).mean() > 0.99
    placed = place(ink, top=0.7, bottom=0.0, size=128)
    top, bottom = ink_extent(placed)
    assert abs(top - 0.7) < 0.02 and abs(bottom) < 0.02


@pytest.mark.parametrize("fmt", ["otf", "ttf"])
def test_written_fonts_are_valid_and_match_their_rasters(fmt, tmp_path):
    from fontTools.pens.areaPen import AreaPen
    from fontTools.ttLib import TTFont

    from artgan_font.fontfile import build_font
    from artgan_font.outputs import GlyphSet
    from artgan_font.preview import outline_coverage, render_text
    from artgan_font.testdata import synthetic_glyph

    glyphs = {"O": torch.from_numpy(ring_raster()), "H": torch.from_numpy(synthetic_glyph(7, 0.1, 0.0)),
              "x": torch.from_numpy(synthetic_glyph(3, 0.08, 0.2))}
    built = build_font(GlyphSet(glyphs, name="Ring Test"), fmt)
    path = tmp_path / f"ring.{fmt}"
    path.write_bytes(built.data)
    font = TTFont(path)
    assert font["name"].getDebugName(1) == "Ring Test"
    assert {chr(c) for c in font.getBestCmap()} == {" ", "O", "H", "x"}
    assert font["OS/2"].sCapHeight > font["OS/2"].sxHeight > 0
    assert font["hhea"].ascent == font["OS/2"].sTypoAscender and font["hhea"].descent == font["OS/2"].sTypoDescender
    glyph_set = font.getGlyphSet()
    pen = AreaPen(glyph_set)
    glyph_set["O"].draw(pen)
    ring_area = np.pi * (20**2 - 10**2) * (1000 / 64) ** 2
    # fontTools' AreaPen counts counter-clockwise as positive: CFF outers are counter-clockwise, TrueType's clockwise
    assert pen.value == pytest.approx(ring_area if fmt == "otf" else -ring_area, rel=0.05)
    if fmt == "ttf":
        for name in font.getGlyphOrder():
            glyph = font["glyf"][name]
            if glyph.numberOfContours:
                assert font["hmtx"][name][1] == glyph.xMin
    for char, raster in glyphs.items():
        back = outline_coverage(path, char, 64, built.origins[char]) >= 0.5
        truth = raster.numpy() >= 0.5
        assert (back & truth).sum() / (back | truth).sum() > 0.95, char
    ots = pytest.importorskip("ots")
    assert ots.sanitize(str(path), str(tmp_path / "clean"), capture_output=True).returncode == 0
    image = np.asarray(render_text(path, "HOx xOH"))
    assert image.min() < 50 and image.max() == 255  # Pillow sets text in it


def test_font_render_command(fonts, tmp_path):
    out = tmp_path / "preview.png"
    run_cli("font", "render", fonts / "test0.ttf", "Sphinx", "-o", out)
    from PIL import Image

    assert Image.open(out).size[0] > 100
    again = run_cli("font", "render", fonts / "test0.ttf", "Sphinx", "-o", out, ok=False)
    assert again.exit_code == 2  # never overwrites without --overwrite
    bad = run_cli("font", "render", tmp_path / "missing.otf", "x", "-o", tmp_path / "p.png", ok=False)
    assert bad.exit_code == 2 and "no font file" in bad.output + bad.stderr


def test_contract(tmp_path):
    from artgan.testing import check_plugin
    from artgan_font import plugin

    check_plugin(plugin, tmp_path)


def test_generator_tuning_fits_the_references_and_leaves_the_model_alone(fonts, tmp_path):
    from artgan.testing import check_training
    from artgan_font import plugin
    from artgan_font.complete import draw_glyphs, fit_style, tune_generator
    from artgan_font.data import FontGlyphs

    model = check_training(plugin, plugin.tiny_config(), str(fonts), tmp_path / "run")
    data = FontGlyphs(fonts, CHARS, model.config.resolution, 1)
    chars = "ABab"
    refs = torch.stack([data.image(1, data.names.index(c)) for c in chars])
    z, _ = fit_style(model, refs, chars, 5, torch.Generator().manual_seed(0))
    before = {k: v.clone() for k, v in model.nets["G"].state_dict().items()}
    tuned = tune_generator(model, z, refs, chars, 30, lr=1e-2)
    assert all(torch.equal(before[k], v) for k, v in model.nets["G"].state_dict().items())  # the model is untouched

    def error(net) -> float:
        drawn = draw_glyphs(model, z, chars, net)
        return float(torch.stack([drawn[c] * 2 - 1 - refs[i, 0] for i, c in enumerate(chars)]).abs().mean())

    assert error(tuned) < 0.8 * error(None)
    assert not any(p.requires_grad for p in tuned.parameters())
