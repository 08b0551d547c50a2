"""Output files: the suffix table, 8- and 16-bit rasters, grids, GIFs, folders, refusals, atomicity."""

import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.errors import ArtganError
from artgan.images import read_metadata, read_tensor
from artgan.outputs import Images, Output
from artgan.plugin import Writer
from artgan.writers import check_target, table, write_output


def _ramp(channels=3, height=6, width=10):
    values = torch.linspace(-1, 1, channels * height * width).reshape(1, channels, height, width)
    return values


def test_16_bit_png_keeps_every_level_and_provenance(tmp_path):
    pixels = _ramp(1, 8, 64)
    [path] = write_output(Images(pixels, bits=16), tmp_path / "h.png", metadata={"model": "m", "seed": "4"})
    with Image.open(path) as image:
        assert image.mode.startswith("I")  # Pillow reads 16-bit grey PNGs as I;16 / I
    back = read_tensor(path, "L")
    assert (back - pixels[0]).abs().max() < 1.5 / 65535
    assert read_metadata(path) == {"model": "m", "seed": "4"}
    levels = np.unique(np.asarray(Image.open(path)))
    assert len(levels) == 8 * 64, "a 16-bit file keeps 512 distinct levels that 8 bits would merge"


@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_colour_png_is_a_valid_png(tmp_path, channels):
    [path] = write_output(Images(_ramp(channels), bits=16), tmp_path / "c.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (10, 6, 16, {3: 2, 4: 6}[channels])
    with Image.open(path) as image:  # Pillow decodes it (to 8 bits)
        image.load()
        assert image.size == (10, 6) and image.mode == ("RGB" if channels == 3 else "RGBA")
    # decode the 16-bit samples ourselves: they are the tensor's, exactly
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    raw = zlib.decompress(data[start : start + length])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(6, 1 + 10 * channels * 2)[:, 1:]
    samples = rows.copy().view(">u2").reshape(6, 10, channels)
    expected = ((_ramp(channels)[0].permute(1, 2, 0).double() + 1) * 65535 / 2).round().numpy()
    assert np.array_equal(samples, expected)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_16_bit_tiff_is_read_by_pillow(tmp_path, channels):
    [path] = write_output(Images(_ramp(channels), bits=16), tmp_path / "c.tif", metadata={"model": "m"})
    with Image.open(path) as image:
        image.load()
        assert image.size == (10, 6)
    assert read_metadata(path)["model"] == "m"
    if channels == 1:
        assert (read_tensor(path, "L") - _ramp(1)[0]).abs().max() < 1.5 / 65535


def test_eight_bit_only_formats_write_eight_bits(tmp_path):
    [path] = write_output(Images(_ramp(3), bits=16), tmp_path / "c.jpg")
    assert Image.open(path).mode == "RGB"


def test_several_images_make_a_grid_a_sequence_a_row_or_a_gif(tmp_path):
    four = Images(torch.rand(4, 3, 8, 8) * 2 - 1)
    assert Image.open(write_output(four, tmp_path / "grid.png")[0]).size == (2 * 10 + 2, 2 * 10 + 2)
    assert read_metadata(tmp_path / "grid.png")["count"] == "4"
    row = Images(torch.rand(3, 3, 8, 8) * 2 - 1, sequence=True, padding=0)
    assert Image.open(write_output(row, tmp_path / "row.png")[0]).size == (24, 8)
    frames = Images(torch.stack([torch.full((3, 8, 8), v) for v in (-1.0, 0.0, 1.0)]), sequence=True)
    with Image.open(write_output(frames, tmp_path / "a.gif")[0]) as gif:
        assert gif.n_frames == 4  # distinct frames, forth and back: 3 + 1
    with pytest.raises(ArtganError, match="not a sequence"):
        write_output(four, tmp_path / "b.gif")


def test_a_folder_gets_one_file_per_image(tmp_path):
    files = write_output(Images(torch.zeros(3, 1, 4, 4), bits=16), tmp_path / "out/")
    assert [f.name for f in files] == ["0000.png", "0001.png", "0002.png"]
    assert read_metadata(files[1])["index"] == "1"


def test_unknown_suffix_lists_what_the_output_can_be_written_as(tmp_path):
    with pytest.raises(ArtganError, match=r"cannot write Images as '\.otf'; write one of \.png, .*\.gif, or a folder"):
        write_output(Images(torch.zeros(1, 3, 4, 4)), tmp_path / "x.otf")
    assert not (tmp_path / "x.otf").exists()


def test_existing_files_are_refused_before_work_and_kept(tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    with pytest.raises(ArtganError, match="--overwrite"):
        check_target(target, Images)
    with pytest.raises(ArtganError, match="exists"):
        write_output(Images(torch.zeros(1, 3, 4, 4)), target)
    assert target.read_bytes() == b"precious"
    write_output(Images(torch.zeros(1, 3, 4, 4)), target, overwrite=True)
    assert target.read_bytes() != b"precious"


def test_a_folder_output_refuses_if_any_file_exists_and_writes_none(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "0001.png").write_bytes(b"precious")
    with pytest.raises(ArtganError, match="0001.png exists"):
        write_output(Images(torch.zeros(3, 1, 4, 4)), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0001.png"]


class Glyphs(Output):
    """A plugin's own output type."""

    def __init__(self, text):
        super().__init__()
        self.text = text


def test_plugin_writers_extend_the_table_for_their_own_outputs(tmp_path):
    writer = Writer((".txt",), Glyphs, lambda output, suffix, metadata: f"{output.text} {metadata['model']}".encode(), "text")
    assert set(table(Glyphs, [writer])) == {".txt"}
    assert ".txt" not in table(Images, [writer]) and ".png" in table(Images, [writer])
    [path] = write_output(Glyphs("abc"), tmp_path / "g.txt", writers=[writer], metadata={"model": "m"})
    assert path.read_text() == "abc m"
    with pytest.raises(ArtganError, match=r"cannot write Glyphs as '\.png'; write one of \.txt"):
        write_output(Glyphs("abc"), tmp_path / "g.png", writers=[writer])


def test_written_files_get_the_permissions_the_umask_allows(tmp_path):
    import os

    [path] = write_output(Images(torch.zeros(1, 3, 4, 4)), tmp_path / "p.png")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
