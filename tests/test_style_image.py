"""``artgan stylize --style-image PAINTING``: a style learnt from one painting, cached by its hash."""

import pytest
from PIL import Image

import artgan.api
from artgan.checkpoint import find_checkpoint
from artgan.images import write_random_images
from artgan_cyclegan import style_image
from conftest import run_cli

TINY = ("width=4", "downsamplings=1", "blocks=1", "d_width=4", "d_layers=1", "crop=16", "scale_min=16", "scale_max=24",
        "nce_patches=16", "nce_units=8", "batch_size=1")


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(style_image, "MODEL_SETTINGS", TINY)
    monkeypatch.setattr(style_image, "PROBE_STEPS", 2)
    monkeypatch.setattr(style_image, "MIN_STEPS", 3)
    monkeypatch.setattr(style_image, "MAX_STEPS", 8)


def _pictures(tmp_path):
    write_random_images(tmp_path / "photos", count=2, size=(40, 32), seed=1)
    painting = tmp_path / "painting.png"
    Image.effect_noise((48, 40), 80).convert("RGB").save(painting)
    return sorted((tmp_path / "photos").glob("*.png")), painting


def test_the_first_call_trains_and_caches_the_second_loads(tmp_path, tiny, monkeypatch):
    photos, painting = _pictures(tmp_path)
    out = tmp_path / "painted.png"
    result = run_cli("stylize", photos[0], "--style-image", painting, "--minutes", 1, "-o", out)
    assert "learning a style from painting.png" in result.stderr
    with Image.open(out) as painted:
        assert painted.size == (40, 32)
    run_cli("stylize", photos[1], "--style-image", painting)  # beside the photo, named after the painting
    assert (photos[1].parent / f"{photos[1].stem}_painting.png").is_file()
    folder = style_image.style_folder(painting)
    assert style_image.cached_style(folder) == folder / "styles" / "painting" and not (folder / "run").exists()
    assert find_checkpoint(folder / "styles" / "painting").step == style_image.MAX_STEPS  # a minute fits more: the cap
    assert (folder / "photos.txt").read_text().split() == [str(photos[0].resolve())]

    copy = tmp_path / "same-painting-renamed.png"
    copy.write_bytes(painting.read_bytes())

    def no_training(*args, **kwargs):
        raise AssertionError("a cached style must not train again")

    monkeypatch.setattr(artgan.api, "train", no_training)
    run_cli("stylize", photos[1], "--style-image", copy, "-o", tmp_path / "second.png")
    assert (tmp_path / "second.png").is_file()


def test_too_few_minutes_is_refused_with_what_would_do(tmp_path, tiny, monkeypatch):
    photos, painting = _pictures(tmp_path)
    monkeypatch.setattr(style_image, "MIN_STEPS", 10**9)
    result = run_cli("stylize", photos[0], "--style-image", painting, "--minutes", 0.01, "-o", tmp_path / "x.png", ok=False)
    assert result.exit_code != 0 and "too short to learn a style" in result.output and "--minutes" in result.output
    assert not (style_image.style_folder(painting) / "run").exists()
    assert not (tmp_path / "x.png").exists()


def test_a_stopped_run_is_continued_by_the_next_call(tmp_path, tiny, monkeypatch):
    import artgan.engine.loop as loop

    photos, painting = _pictures(tmp_path)
    plain = loop.StopRequest
    calls = []

    class CtrlCInSecondCall(plain):  # as if Ctrl-C came during the first step of the second training call
        def __enter__(self):
            super().__enter__()
            calls.append(self)
            self.requested = len(calls) == 2
            return self

    monkeypatch.setattr(loop, "StopRequest", CtrlCInSecondCall)
    result = run_cli("stylize", photos[0], "--style-image", painting, "-o", tmp_path / "x.png", ok=False)
    assert "stopped at step 3 of 8" in result.output and "continues from there" in result.output
    assert not (tmp_path / "x.png").exists()
    monkeypatch.setattr(loop, "StopRequest", plain)
    result = run_cli("stylize", photos[0], "--style-image", painting, "-o", tmp_path / "x.png")
    assert "continuing the stopped run" in result.stderr
    assert find_checkpoint(style_image.cached_style(style_image.style_folder(painting))).step == 8


def test_a_stop_while_timing_keeps_nothing_and_the_next_call_starts_afresh(tmp_path, tiny, monkeypatch):
    import artgan.engine.loop as loop

    photos, painting = _pictures(tmp_path)
    plain = loop.StopRequest

    class CtrlCAtOnce(plain):
        def __enter__(self):
            super().__enter__()
            self.requested = True
            return self

    monkeypatch.setattr(loop, "StopRequest", CtrlCAtOnce)
    result = run_cli("stylize", photos[0], "--style-image", painting, "-o", tmp_path / "x.png", ok=False)
    assert "stopped while timing" in result.output
    assert not (style_image.style_folder(painting) / "run").exists()
    monkeypatch.setattr(loop, "StopRequest", plain)
    run_cli("stylize", photos[0], "--style-image", painting, "-o", tmp_path / "x.png")
    assert find_checkpoint(style_image.cached_style(style_image.style_folder(painting))).step == 8


@pytest.mark.parametrize("args, message", [
    (["--minutes", "3"], "--minutes only applies with --style-image"),
    (["--photos", "x"], "--photos only applies with --style-image"),
    (["--style", "monet", "--style-image", "PAINTING"], "not both"),
    (["--style-image", "PAINTING", "-"], "stdin can only be read once"),
])
def test_option_mistakes_are_named(tmp_path, args, message):
    photos, painting = _pictures(tmp_path)
    args = [str(painting) if a == "PAINTING" else a for a in args]
    inputs = [] if "-" in args else [photos[0]]
    result = run_cli("stylize", *inputs, *args, ok=False)
    assert result.exit_code != 0 and message in result.output


def test_a_painting_that_is_not_a_picture_is_refused_before_training(tmp_path):
    photos, _ = _pictures(tmp_path)
    fake = tmp_path / "painting.jpg"
    fake.write_bytes(b"not a jpeg")
    result = run_cli("stylize", photos[0], "--style-image", fake, ok=False)
    assert result.exit_code != 0 and "painting.jpg" in result.output
    assert not style_image.style_folder(fake).exists()
