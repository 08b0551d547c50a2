"""The plugin's own writers and its `heights-info` command, on outputs made by hand."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from artgan.errors import ArtganError
from artgan.writers import write_output
from artgan_heights import Heightfield, plugin
from artgan_heights.commands import heights_info
from artgan_heights.formats import MAXVAL, describe_file, read_pgm


@pytest.fixture
def fields():
    """Two 2×3 fields with known heights: a ramp and its mirror image."""
    ramp = torch.tensor([[0.0, 0.25, 0.5], [0.5, 0.75, 1.0]])
    return Heightfield(torch.stack([ramp, ramp.flip(-1)]), metadata={"label": "dunes"})


def samples(ramp):
    return np.rint(np.asarray(ramp) * MAXVAL).astype(np.uint16)


def test_r16_is_raw_little_endian_fields_side_by_side(fields, tmp_path):
    (path,) = write_output(fields, tmp_path / "t.r16", writers=plugin.writers)
    data = path.read_bytes()
    assert len(data) == 2 * 3 * 2 * 2  # H × (N·W) samples of 2 bytes, no header
    grid = np.frombuffer(data, dtype="<u2").reshape(2, 6)
    assert grid[0, 0] == 0 and grid[1, 2] == MAXVAL and grid[0, 1] == round(0.25 * MAXVAL)
    assert (grid[:, 3:] == grid[:, :3][:, ::-1]).all()  # the second field, mirrored, to the right
    assert data[2:4] == round(0.25 * MAXVAL).to_bytes(2, "little")


def test_pgm_is_16_bit_big_endian_with_provenance(fields, tmp_path):
    (path,) = write_output(fields, tmp_path / "t.pgm", writers=plugin.writers, metadata={"seed": "7"})
    data = path.read_bytes()
    assert data.startswith(b"P5\n") and b"\n6 2\n65535\n" in data
    body = data[-2 * 3 * 2 * 2 :]
    assert body[2:4] == round(0.25 * MAXVAL).to_bytes(2, "big")  # Netpbm: most significant byte first
    grid, maxval, provenance = read_pgm(data)
    assert maxval == MAXVAL and grid.shape == (2, 6)
    assert provenance == {"label": "dunes", "seed": "7"}


def test_folder_holds_one_r16_per_field(fields, tmp_path):
    files = write_output(fields, tmp_path / "out", writers=plugin.writers)
    assert sorted(f.name for f in files) == ["0000.r16", "0001.r16"]
    assert all(f.stat().st_size == 2 * 3 * 2 for f in files)


def test_raster_suffixes_are_refused_with_the_formats_it_can_write(fields, tmp_path):
    with pytest.raises(ArtganError, match=r"cannot write Heightfield as '\.png'; write one of \.r16, \.pgm, or a folder"):
        write_output(fields, tmp_path / "t.png", writers=plugin.writers)


def test_writers_refuse_to_overwrite(fields, tmp_path):
    write_output(fields, tmp_path / "t.pgm", writers=plugin.writers)
    with pytest.raises(ArtganError, match="exists"):
        write_output(fields, tmp_path / "t.pgm", writers=plugin.writers)


def test_heights_info_prints_size_and_range(fields, tmp_path):
    write_output(fields, tmp_path / "t.pgm", writers=plugin.writers, metadata={"seed": "7"})
    result = CliRunner().invoke(heights_info, [str(tmp_path / "t.pgm")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{tmp_path / 't.pgm'}: 6×2, min 0.0000, max 1.0000 (seed 7)"
    result = CliRunner().invoke(heights_info, [str(tmp_path / "t.pgm"), "--json"])
    info = json.loads(result.output)
    assert info["size"] == [6, 2] and info["min_raw"] == 0 and info["max_raw"] == MAXVAL and info["provenance"]["seed"] == "7"


def test_heights_info_reads_r16_given_its_width(fields, tmp_path):
    write_output(fields, tmp_path / "t.r16", writers=plugin.writers)
    assert describe_file(tmp_path / "t.r16", width=6)["size"] == [6, 2]
    with pytest.raises(ArtganError, match="no square; give the width with --width"):
        describe_file(tmp_path / "t.r16")


@pytest.mark.parametrize("content, message", [
    (b"P2\n2 2\n255\n0 0 0 0", "not a binary PGM"),
    (b"P5\n4 4\n65535\n\x00\x01", "truncated"),
    (b"P5\n4", "cut short"),
])
def test_heights_info_explains_broken_files(tmp_path, content, message):
    path = tmp_path / "bad.pgm"
    path.write_bytes(content)
    with pytest.raises(ArtganError, match=message):
        describe_file(path)


def test_heights_info_is_mounted_and_fails_in_one_line(tmp_path):
    """Through `artgan` itself (when this package is installed): a user error is one line, exit 2."""
    from artgan.cli import cli, plugin_commands

    if "heights-info" not in plugin_commands().commands:
        pytest.skip("artgan-example-heights is not installed (pip install ./samples/artgan-example-heights)")
    result = CliRunner().invoke(cli, ["heights-info", str(tmp_path / "missing.pgm")])
    assert result.exit_code == 2
    assert "artgan: error: " in result.output and "no such file" in result.output


def test_import_is_cheap():
    """`artgan --help` imports every plugin: this one must not pull in torch or numpy."""
    import subprocess
    import sys

    code = "import sys, artgan_heights; print(sorted({'torch', 'numpy', 'click'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
