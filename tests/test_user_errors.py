"""Issue 9, points 4–6: every mistake a user can make is one line and exit 2, nothing comes out
silently wrong, and batch work goes on past a bad picture."""

from __future__ import annotations

import errno
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
from artgan.config import TrainConfig, apply_overrides, from_dict
from artgan.errors import ArtganError
from artgan.files import write_bytes_atomic, write_files
from artgan.images import read_tensor
from artgan.labels import choose_labels, parse_mix
from conftest import TINY_MLP, run_cli as run


def one_line_error(result, *words):
    """The command failed the way a user mistake should: exit 2, one stderr line naming it, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("artgan: error: "), result.stderr
    assert "Traceback" not in result.output + result.stderr
    for word in words:
        assert word in lines[-1], lines[-1]
    return lines[-1]


def cli_process(*args, **kwargs):
    """artgan in its own process (for stdout that is closed, full or a terminal)."""
    return subprocess.run([sys.executable, "-m", "artgan", *map(str, args)], capture_output=kwargs.pop("capture", True), **kwargs)


# --------------------------------------------------------------------------- ranges, declared once
@pytest.mark.parametrize("override, words", [
    ("lr=nan", ["lr", "finite"]), ("lr=inf", ["lr", "finite"]), ("lr=-1", ["lr", "> 0"]), ("beta1=5", ["beta1", "< 1"]),
    ("z_dim=0", ["z_dim", "≥ 1"]), ("z_dim=-3", ["z_dim", "≥ 1"]), ("image_size=0", ["image_size", "≥ 2"]),
    ("batch_size=100000000", ["batch_size", "≤ 65536"]), ("batch_size=" + "9" * 30, ["batch_size", "64 bits"]),
    ("g_hidden=[100000000]", ["g_hidden", "≤ 65536"]), ("ema_half_life_kimg=nan", ["finite"]),
])
def test_out_of_range_settings_are_refused_before_a_run_starts(tmp_path, override, words):
    result = run("train", "mlp", "--data", "builtin:digits", "--steps", 1, "-o", tmp_path / "run", "-c", override, ok=False)
    one_line_error(result, "-c", *words)
    assert not (tmp_path / "run").exists()


def test_a_checkpoint_config_out_of_range_is_refused_on_load(tmp_path):
    out = tmp_path / "run"
    artgan.train("mlp", "builtin:digits", out, steps=1, config=TINY_MLP, progress=False)
    config = next((out / "checkpoints").glob("step-*")) / "config.json"
    meta = json.loads(config.read_text())
    meta["model_config"]["z_dim"] = 0
    config.write_text(json.dumps(meta))
    with pytest.raises(ArtganError, match="z_dim: must be ≥ 1"):
        artgan.load(out)


def test_ranges_hold_for_python_values_and_json_too():
    from artgan_mlp import MLPConfig

    with pytest.raises(ArtganError, match="beta1: must be ≥ 0, < 1, got 1.5"):
        from_dict(MLPConfig, {"beta1": 1.5})
    with pytest.raises(ArtganError, match="finite"):
        from_dict(TrainConfig, {"lr_decay_start": float("nan")})
    with pytest.raises(ArtganError, match="keep_checkpoints"):
        TrainConfig(keep_checkpoints=0).validate()
    model, train = apply_overrides(MLPConfig(), TrainConfig(), ["lr=0.001", "batch_size=64"])
    assert (model.lr, train.batch_size) == (0.001, 64)


def test_verb_options_declare_their_ranges():
    model = artgan.load("mlp.digits")
    with pytest.raises(ArtganError, match="n: must be ≥ 1"):
        model.generate(n=0)
    result = run("generate", "mlp.digits", "-n", "-5", "-o", "x.png", ok=False)
    one_line_error(result, "≥ 1")


@pytest.mark.parametrize("seed", [2**64, 10**30, -1])
def test_seeds_beyond_64_bits_are_refused(tmp_path, seed):
    one_line_error(run("generate", "mlp.digits", "--seed", seed, "-o", tmp_path / "x.png", ok=False), "--seed")
    with pytest.raises(ArtganError, match="out of range"):
        artgan.load("mlp.digits").generate(seed=seed)
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------- mixes
@pytest.mark.parametrize("text, words", [("wood:nan", "finite"), ("wood:inf", "finite"), ("wood:-1", "≥ 0"),
                                         ("wood:0,rock:0", "all zero"), ("wood:x", "e.g."), ("wood:1,wood:2", "twice")])
def test_bad_mix_weights_are_refused(text, words):
    with pytest.raises(ArtganError, match=words):
        parse_mix(text)


def test_huge_mix_weights_keep_their_ratio():
    weights = choose_labels(["wood", "rock"], 2, torch.Generator(), mix=parse_mix("wood:1e308,rock:1e308"))
    assert torch.isfinite(weights).all() and torch.allclose(weights, torch.full((2, 2), 0.5))
    weights = choose_labels(["wood", "rock"], 1, torch.Generator(), mix={"wood": 3, "rock": 1})
    assert torch.allclose(weights, torch.tensor([[0.75, 0.25]]))
    with pytest.raises(ArtganError, match="finite"):  # a mapping from Python is checked as well
        choose_labels(["wood", "rock"], 1, torch.Generator(), mix={"wood": float("nan")})


def test_nan_mix_on_the_command_line_writes_nothing(tmp_path):
    result = run("generate", "pattern.textures", "--mix", "wood:nan", "--size", 32, "-o", tmp_path / "x.png", ok=False)
    one_line_error(result, "finite")
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------- no silent wrong results
def test_a_float_tiff_in_0_to_1_is_read_at_its_brightness(tmp_path):
    values = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    Image.fromarray(values, "F").save(tmp_path / "float.tif")
    tensor = read_tensor(tmp_path / "float.tif")
    assert torch.allclose(tensor[0], torch.from_numpy(values) * 2 - 1, atol=1e-5)
    rgb = artgan.images.read_image(tmp_path / "float.tif", "L")
    assert abs(np.asarray(rgb).mean() - 127.5) < 1


@pytest.mark.parametrize("model, args, size", [("mlp.digits", [], (28, 28)), ("pattern.textures", ["--size", 48], (48, 48)),
                                                ("pattern.textures", ["--size", "40x24"], (40, 24))])
def test_one_generated_picture_has_exactly_the_size_reported(tmp_path, model, args, size):
    data = json.loads(run("generate", model, *args, "-o", tmp_path / "one.png", "--json").stdout)
    with Image.open(tmp_path / "one.png") as picture:
        assert picture.size == size == tuple(data["size"])


def test_written_pictures_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        run("generate", "mlp.digits", "-o", tmp_path / "one.png")
        run("generate", "mlp.digits", "-n", 2, "-o", tmp_path / "folder/")
    finally:
        os.umask(previous)
    for path in [tmp_path / "one.png", *(tmp_path / "folder").iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o644, path


# --------------------------------------------------------------------------- outputs that cannot be written
def test_a_parent_that_is_a_file_is_refused_before_any_work(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("keep me")
    monkeypatch.setattr(artgan.inference.Model, "run", lambda *a, **k: pytest.fail("the work started"))
    result = run("generate", "mlp.digits", "-o", tmp_path / "afile" / "x.png", ok=False)
    one_line_error(result, "is a file, not a folder")
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused_before_any_work(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        one_line_error(run("generate", "mlp.digits", "-o", folder / "x.png", ok=False), "permission denied")
    finally:
        folder.chmod(0o700)


def test_a_folder_without_write_access_is_refused_before_any_work(tmp_path, monkeypatch):
    """The same refusal when the file system says no (simulated: this suite may run as root)."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tmp_path else real_access(path, mode))
    monkeypatch.setattr(artgan.inference.Model, "run", lambda *a, **k: pytest.fail("the work started"))
    one_line_error(run("generate", "mlp.digits", "-o", tmp_path / "x.png", ok=False), "cannot write into")


def test_a_full_disk_is_one_line_and_leaves_nothing_behind(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ArtganError, match="disk is full"):
        write_bytes_atomic(tmp_path / "x.png", b"data")
    one_line_error(run("generate", "mlp.digits", "-o", tmp_path / "y.png", ok=False), "disk is full")
    assert list(tmp_path.iterdir()) == []


def test_stdout_full_closed_or_a_terminal(tmp_path):
    picture = tmp_path / "p.png"
    Image.new("RGB", (8, 8), "red").save(picture)
    with open(picture, "rb") as stdin, open("/dev/full", "wb") as stdout:
        full = cli_process("stylize", "-", "--style", "vangogh", stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, capture=False)
    assert full.returncode == 2 and full.stderr.decode().startswith("artgan: error: could not write the picture to stdout")
    closed = subprocess.run(f"{sys.executable} -m artgan models >&-", shell=True, capture_output=True)
    assert closed.returncode == 2 and b"stdout is closed" in closed.stderr and b"Traceback" not in closed.stderr
    leader, follower = pty.openpty()
    try:
        with open(picture, "rb") as stdin:
            terminal = cli_process("stylize", "-", "--style", "vangogh", stdin=stdin, stdout=follower, stderr=subprocess.PIPE,
                                   capture=False)
    finally:
        os.close(leader)
        os.close(follower)
    assert terminal.returncode == 2 and b"refusing to write a picture to the terminal" in terminal.stderr


def test_an_allocator_failure_is_one_line(tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you tried to "
                           "allocate 41000000000000 bytes")

    monkeypatch.setattr(artgan.inference.Model, "run", exhausted)
    one_line_error(run("generate", "mlp.digits", "-o", tmp_path / "x.png", ok=False), "ran out of memory")


# --------------------------------------------------------------------------- no overwrite, at the moment of writing
def test_no_overwrite_holds_at_the_moment_of_writing(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"theirs")
    with pytest.raises(ArtganError, match="exists"):
        write_bytes_atomic(target, b"ours", overwrite=False)
    assert target.read_bytes() == b"theirs"

    import artgan.files as files

    other = tmp_path / "b.png"

    def another_process_writes_first(paths):  # runs after the exists-check, before the write
        other.write_bytes(b"theirs")

    monkeypatch.setattr(files, "check_writable", another_process_writes_first)
    with pytest.raises(ArtganError, match="appeared while artgan was working"):
        write_files({tmp_path / "a.png": b"ours", other: b"ours"})
    assert other.read_bytes() == b"theirs" and not (tmp_path / "a.png").exists()  # the half-done output is rolled back
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------- picture verbs over many files
def test_thin_pictures_are_stylized_at_their_size(tiny_style_run):
    from artgan_cyclegan import stylize

    for size in [(1, 300), (300, 1), (3, 3)]:
        assert stylize(Image.new("RGB", size, "teal"), style=str(tiny_style_run)).size == size


def test_a_folder_keeps_going_past_a_bad_picture_and_resumes(tiny_style_run, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in "ac":
        Image.new("RGB", (16, 16), "orange").save(photos / f"{name}.png")
    (photos / "b.png").write_bytes(b"not a picture")
    out = tmp_path / "out"
    result = run("stylize", photos, "--style", tiny_style_run, "-o", out, "--json", ok=False)
    one_line_error(result, "1 of 3", "b.png")
    records = json.loads(result.stdout)
    assert [r["status"] for r in records] == ["written", "failed", "written"]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
    (out / "c.png").unlink()  # as if the batch had been interrupted
    (photos / "b.png").unlink()
    kept = (out / "a.png").stat().st_mtime_ns
    records = json.loads(run("stylize", photos, "--style", tiny_style_run, "-o", out, "--skip-existing", "--json").stdout)
    assert [r["status"] for r in records] == ["skipped (exists)", "written"]
    assert (out / "a.png").stat().st_mtime_ns == kept and (out / "c.png").is_file()
    one_line_error(run("stylize", photos, "--style", tiny_style_run, "-o", out, ok=False), "exists")


# --------------------------------------------------------------------------- names
def test_a_local_folder_called_like_a_model_does_not_hide_it(tmp_path, monkeypatch, warnings_logged):
    from artgan.registry import resolve_model

    monkeypatch.chdir(tmp_path)
    run("generate", "mlp.digits", "-n", 2, "-o", "digits/")  # what a user may well do first
    assert resolve_model("digits").name == "mlp.digits"
    artgan.train("mlp", "builtin:digits", tmp_path / "digits", steps=1, config=TINY_MLP, progress=False)  # now a run too
    assert resolve_model("digits").name == "mlp.digits"
    assert any("write ./digits" in message for message in warnings_logged)
    assert resolve_model("./digits").path.parent.name == "checkpoints"
    artgan.train("mlp", "builtin:digits", tmp_path / "mine", steps=1, config=TINY_MLP, progress=False)
    assert resolve_model("mine").path.parent.name == "checkpoints"  # a bare name that is no model is a folder


def test_dash_writes_a_generated_picture_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("generate", "mlp.digits", "-n", 4, "--seed", 1, "-o", "-")
    assert result.stdout_bytes.startswith(b"\x89PNG") and "wrote a PNG to stdout" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no folder called "-"
    one_line_error(run("generate", "mlp.digits", "-o", "-", "--json", ok=False), "--json")


def test_a_count_that_cannot_fit_is_refused_after_the_first_batch(tmp_path):
    result = run("generate", "mlp.digits", "-n", 10**9, "-o", tmp_path / "x.png", ok=False)
    one_line_error(result, "1,000,000,000 images", "fewer with -n")
