"""`artgan stylize`: inputs, outputs, refusals, stdin/stdout, and the Python API."""

import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image

import artgan
from artgan.cli import cli
from conftest import run_cli as run
from artgan.images import read_metadata
from artgan_cyclegan import stylize


@pytest.fixture
def style_run(tiny_style_run):
    return tiny_style_run


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (48, 32), "orange").save(folder / "a.jpg")
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(folder / "b.png")
    return folder


def test_one_file_defaults_beside_it(style_run, photos):
    run("stylize", photos / "a.jpg", "--style", style_run)
    out = photos / "a_run.jpg"
    assert Image.open(out).size == (48, 32)
    assert run("stylize", photos / "a.jpg", "--style", style_run, ok=False).exit_code == 2, "refuses to overwrite"


def test_folder_to_folder_keeps_alpha_and_provenance(style_run, photos, tmp_path):
    data = json.loads(run("stylize", photos, "--style", style_run, "-o", tmp_path / "out", "--json").stdout)
    assert sorted(r["output"].rsplit("/", 1)[1] for r in data) == ["a.jpg", "b.png"]
    assert Image.open(tmp_path / "out" / "b.png").mode == "RGBA"
    assert read_metadata(tmp_path / "out" / "b.png")["source"] == "b.png"


def test_inputs_are_never_overwritten_unless_asked(style_run, photos):
    original = (photos / "a.jpg").read_bytes()
    result = run("stylize", photos / "a.jpg", "--style", style_run, "-o", photos / "a.jpg", ok=False)
    assert result.exit_code == 2 and "is an input" in result.stderr and (photos / "a.jpg").read_bytes() == original
    run("stylize", photos / "a.jpg", "--style", style_run, "-o", photos / "a.jpg", "--overwrite")
    assert (photos / "a.jpg").read_bytes() != original


def test_alpha_into_a_jpeg_name_becomes_a_png_but_never_replaces_one(style_run, photos, tmp_path):
    run("stylize", photos / "b.png", "--style", style_run, "-o", tmp_path / "x.jpg")
    assert Image.open(tmp_path / "x.png").mode == "RGBA" and not (tmp_path / "x.jpg").exists()
    before = (tmp_path / "x.png").read_bytes()
    result = run("stylize", photos / "b.png", "--style", style_run, "-o", tmp_path / "x.jpg", ok=False)
    assert result.exit_code == 2 and "x.png exists" in result.stderr and (tmp_path / "x.png").read_bytes() == before


def test_stdin_to_stdout(style_run):
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), "green").save(buffer, "PNG")
    result = CliRunner().invoke(cli, ["stylize", "-", "--style", str(style_run)], input=buffer.getvalue())
    assert result.exit_code == 0, result.stderr
    assert Image.open(io.BytesIO(result.stdout_bytes)).size == (24, 16)


@pytest.mark.parametrize("args, message", [
    (["stylize", "nothere.jpg", "--style", "RUN"], "no such file or folder"),
    (["stylize", "PHOTOS", "--style", "mlp.digits"], "not a style"),
    (["stylize", "PHOTOS", "--style", "vangohg"], "unknown model"),
    (["stylize", "PHOTOS", "--style", "RUN", "-o", "x.png"], "need an output folder"),
    (["stylize", "-", "PHOTOS", "--style", "RUN"], "only input"),
])
def test_mistakes_are_one_line(style_run, photos, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [str(style_run) if a == "RUN" else str(photos) if a == "PHOTOS" else a for a in args]
    result = run(*args, ok=False)
    assert result.exit_code == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_corrupt_and_bomb_images_are_refused(style_run, tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = run("stylize", tmp_path / "broken.jpg", "--style", style_run, ok=False)
    assert result.exit_code == 2 and "corrupt" in result.stderr or "not an image" in result.stderr


def test_python_api_returns_a_pil_image(style_run):
    image = Image.new("RGB", (30, 20), "white")
    out = stylize(image, style=str(style_run), max_size=16)
    assert isinstance(out, Image.Image) and out.size == (16, 11)
    images = artgan.load(style_run).stylize(image, max_size=16)
    assert images.pixels.shape == (1, 3, 11, 16) and images.metadata["max_size"] == 16
