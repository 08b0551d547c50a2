"""``max_minutes`` / ``artgan train --minutes``: a training call that ends on time, saved and resumable."""

import json
import logging

import artgan
from artgan import checkpoint as ckpt
from artgan.images import list_images, write_random_images
from conftest import TINY_MLP, run_cli

CONFIG = TINY_MLP + ["sample_every=0", "checkpoint_every=0", "precision=fp32"]


def test_the_time_limit_stops_the_call_and_says_so_in_the_checkpoint(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(logging.getLogger("artgan"), "propagate", True)
    caplog.set_level(logging.INFO, logger="artgan")
    final = artgan.train("mlp", "builtin:digits", tmp_path / "run", steps=10_000_000, config=CONFIG + ["max_minutes=0.002"],
                         device="cpu", progress=False)
    saved = ckpt.find_checkpoint(final)
    assert 0 < saved.step < 10_000_000
    assert saved.meta["stopped_by"] == "time limit"
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("the 0 s limit is reached at step") for m in messages), messages
    # resumed without a limit it goes on from there; its checkpoint no longer claims a time limit
    more = artgan.train(None, None, tmp_path / "run", steps=saved.step + 3, resume=True, config=["max_minutes=0"],
                        device="cpu", progress=False)
    again = ckpt.find_checkpoint(more)
    assert again.step == saved.step + 3 and again.meta["stopped_by"] is None


def test_the_cli_treats_a_time_limited_run_as_done(tmp_path):
    args = [a for option in CONFIG for a in ("-c", option)]
    result = run_cli("train", "mlp", "--data", "builtin:digits", "--steps", 10_000_000, "--minutes", 0.002,
                     "--out", tmp_path / "run", "--quiet", "--json", *args)
    report = json.loads(result.stdout)
    assert report["stopped_by"] == "time limit" and not report["finished"]
    refused = run_cli("train", "mlp", "--minutes", 0, "--out", tmp_path / "other", ok=False)
    assert refused.exit_code == 2 and "--minutes" in refused.output


def test_one_image_file_is_a_collection_of_one(tmp_path):
    write_random_images(tmp_path, count=2, size=(8, 8), seed=0)
    one = sorted(tmp_path.glob("*.png"))[0]
    assert list_images(one) == [one]
    (tmp_path / "notes.md").write_text("not a picture")
    result = run_cli("train", "cyclegan", "--data-a", tmp_path, "--data-b", tmp_path / "notes.md", "--steps", 1,
                     "--out", tmp_path / "run", ok=False)
    assert result.exit_code != 0 and "neither an image nor a folder" in result.output
