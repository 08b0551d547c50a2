import io
import os

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.errors import ArtganError
from artgan.files import write_bytes_atomic
from artgan.images import (
    list_images, make_grid, read_image, read_metadata, save_image, to_pil, to_tensor,
)


def _save(image, path, **kw):
    image.save(path, **kw)
    return path


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = _save(image, tmp_path / "rotated.jpg", exif=exif)
    assert read_image(path).size == (20, 40)


@pytest.mark.parametrize("mode", ["P", "CMYK", "I;16", "LA", "1", "RGBA", "I", "F"])
def test_odd_modes_become_rgb(tmp_path, mode):
    if mode == "I;16":
        image = Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16))
    elif mode in ("I", "F"):
        image = Image.new(mode, (8, 8), 200)
    else:
        image = Image.new(mode, (8, 8))
    suffix = ".tif" if mode in ("CMYK", "I", "F") else ".png"
    path = tmp_path / f"odd{suffix}"
    image.save(path)
    rgb = read_image(path, "RGB")
    assert rgb.mode == "RGB" and rgb.size == (8, 8)
    if mode == "I;16":
        assert np.asarray(rgb).min() == 255  # full-scale 16-bit white stays white


def test_alpha_is_kept_or_flattened_on_white(tmp_path):
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    path = _save(image, tmp_path / "clear.png")
    assert read_image(path, "RGBA").getpixel((0, 0)) == (0, 0, 0, 0)
    assert read_image(path, "RGB").getpixel((0, 0)) == (255, 255, 255)


def test_palette_with_transparency_keeps_alpha(tmp_path):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([10, 20, 30] * 256)
    path = _save(image, tmp_path / "p.png", transparency=0)
    assert read_image(path, "RGBA").getpixel((1, 1))[3] == 0


def test_corrupt_and_truncated_images_raise_clear_errors(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(ArtganError, match="junk.png: not an image"):
        read_image(tmp_path / "junk.png")
    good = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(good, "PNG")
    (tmp_path / "cut.png").write_bytes(good.getvalue()[:60])
    with pytest.raises(ArtganError, match="cut.png: the image is corrupt or truncated"):
        read_image(tmp_path / "cut.png")
    with pytest.raises(ArtganError, match="no such file"):
        read_image(tmp_path / "missing.png")


def test_decompression_bomb_is_refused(tmp_path):
    path = _save(Image.new("L", (100, 100)), tmp_path / "big.png")
    with pytest.raises(ArtganError, match="over the limit"):
        read_image(path, max_pixels=5000)


def test_tensor_round_trip_is_exact():
    image = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3), "RGB")
    tensor = to_tensor(image)
    assert tensor.shape == (3, 4, 4) and tensor.min() >= -1 and tensor.max() <= 1
    assert np.array_equal(np.asarray(to_pil(tensor)), np.asarray(image))


def test_save_writes_provenance_and_no_leftovers(tmp_path):
    path = save_image(torch.zeros(3, 8, 8), tmp_path / "out" / "a.png", metadata={"model": "m", "seed": 3})
    assert read_metadata(path) == {"model": "m", "seed": "3"}
    save_image(torch.zeros(3, 8, 8), tmp_path / "b.jpg", metadata={"model": "m"})
    assert "artgan:model=m" in Image.open(tmp_path / "b.jpg").getexif()[0x010E]
    assert sorted(os.listdir(tmp_path / "out")) == ["a.png"]
    with pytest.raises(ArtganError, match="alpha"):
        save_image(torch.zeros(4, 8, 8), tmp_path / "c.jpg")
    with pytest.raises(ArtganError, match="format"):
        save_image(torch.zeros(3, 8, 8), tmp_path / "c.xyz")


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # a kill between writing and renaming

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["file.bin"]


def test_list_images(tmp_path):
    with pytest.raises(ArtganError, match="no such folder"):
        list_images(tmp_path / "nope")
    with pytest.raises(ArtganError, match="no images found"):
        list_images(tmp_path)
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / "sub" / "x.PNG")
    (tmp_path / "notes.txt").write_text("hi")
    assert [p.name for p in list_images(tmp_path)] == ["x.PNG"]


def test_make_grid_layout():
    grid = make_grid(torch.ones(5, 3, 4, 4), columns=3, padding=1)
    assert grid.shape == (3, 2 * 5 + 1, 3 * 5 + 1)
    assert grid[:, 1:5, 1:5].eq(1).all() and grid[:, 0, :].eq(-1).all()
