"""The command line through click's runner: output, --json, and one-line errors."""

import json

import pytest

from artgan.images import read_metadata
from conftest import TINY_MLP, run_cli as run


@pytest.fixture
def tiny_run(tmp_path):
    out = tmp_path / "run"
    run("train", "mlp", "--data", "builtin:digits", "--steps", 3, "--out", out, "--quiet", *sum((["-c", o] for o in TINY_MLP), []))
    return out


def test_plugins_models_info_json():
    plugins = json.loads(run("plugins", "--json").stdout)
    assert {"name": "mlp", "status": "ok"}.items() <= next(p for p in plugins if p["name"] == "mlp").items()
    models = json.loads(run("models", "--json").stdout)
    digits = next(m for m in models if m["name"] == "mlp.digits")
    assert digits["licence"] and digits["size_bytes"] > 0
    info = json.loads(run("info", "--json").stdout)
    assert info["devices"][0]["type"] == "cpu" and "cache_dir" in info
    assert "mlp" in run("plugins").stdout and "mlp.digits" in run("models").stdout


def test_broken_plugin_does_not_break_the_cli(fake_plugins):
    fake_plugins({"crashy": "fake_broken_import:plugin"})
    result = run("plugins")
    assert "crashy" in result.stdout and "broken" in result.stdout and "this_dependency_is_not_installed" in result.stdout
    assert "mlp.digits" in run("models").stdout


def test_train_generate_eval_export(tiny_run, tmp_path):
    grid = tmp_path / "grid.png"
    data = json.loads(run("generate", tiny_run, "-n", 6, "--seed", 4, "-o", grid, "--json").stdout)
    assert data["seed"] == 4 and data["files"] == [str(grid)]
    assert read_metadata(grid)["seed"] == "4" and read_metadata(grid)["version"]
    folder = tmp_path / "many"
    run("generate", tiny_run, "-n", 3, "-o", folder)
    assert sorted(p.name for p in folder.iterdir()) == ["0000.png", "0001.png", "0002.png"]
    again = tmp_path / "again.png"
    run("generate", tiny_run, "-n", 6, "--seed", 4, "-o", again)
    assert again.read_bytes() == grid.read_bytes(), "the same seed gives the same picture"
    result = json.loads(run("eval", tiny_run, "--data", "builtin:digits", "-n", 20, "--json").stdout)
    assert result["n"] == 20 and result["swd"] > 0 and len(result["swd_levels"]) >= 1
    exported = tmp_path / "exported"
    info = json.loads(run("export", tiny_run, "-o", exported, "--json").stdout)
    assert (exported / "model.safetensors").is_file() and not (exported / "training_state.pt").exists()
    assert len(info["sha256"]) == 64
    run("generate", exported, "-n", 2, "-o", tmp_path / "from_export.png")
    (exported / "MODEL_CARD.md").write_text("# my model\n")
    assert run("export", tiny_run, "-o", exported, ok=False).exit_code == 2, "an export is not replaced unasked"
    (exported / "notes.txt").write_text("stale")
    again = json.loads(run("export", tiny_run, "-o", exported, "--overwrite", "--json").stdout)
    assert (exported / "MODEL_CARD.md").read_text() == "# my model\n", "re-exporting keeps the card"
    assert not (exported / "notes.txt").exists() and again["sha256"] == info["sha256"]


def test_train_json_reports_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    data = json.loads(run("train", "mlp", "--data", "builtin:digits", "--steps", 2, "--out", out, "--quiet", "--json",
                          *sum((["-c", o] for o in TINY_MLP), [])).stdout)
    assert data["step"] == 2 and data["finished"] and data["checkpoint"].endswith("step-0000002")


@pytest.mark.parametrize("args, message", [
    (["generate", "mlp.digts", "-o", "x.png"], "did you mean 'mlp.digits'"),
    (["generate", "./no/such/run", "-o", "x.png"], "no such checkpoint"),
    (["train", "mlp", "--data", "/no/such/folder", "--out", "r", "--steps", "1"], "no such folder"),
    (["train", "mlp", "--data", "builtin:digits", "--out", "r", "-c", "lr=fast"], "expected a number"),
    (["train", "mlp", "--data", "builtin:digits", "--out", "r", "-c", "learning_rate=1"], "unknown setting"),
    (["train", "nosuchplugin", "--data", "x", "--out", "r"], "unknown plugin"),
    (["train", "mlp", "--data", "builtin:digits", "--out", "r", "--device", "cuda:7"], "cuda"),
    (["generate", "mlp.digits", "-o", "x.png", "--label", "cat"], "has no option --label"),
    (["generate", "mlp.digits", "-o", "x.otf"], "cannot write Images as '.otf'"),
    (["generate", "mlp.digits", "-o", "x.png", "-p", "n=many"], "expected an integer"),
    (["generate", "mlp.digits", "-o", "x.png", "-p", "size=3"], "unknown generate option 'size'"),
    (["run", "mlp.digits", "stylize", "a.png", "-o", "x.png"], "cannot 'stylize'"),
    (["train", "mlp", "--data", "builtin:digits", "--out", "r", "--bogus", "1"], "no such option: --bogus"),
    (["eval", "mlp.digits", "--data", "builtin:letters"], "unknown built-in dataset"),
    (["train", "mlp", "--steps", "0", "--out", "r"], "0"),
    (["nosuchcommand"], "No such command"),
])
def test_user_mistakes_are_one_line_and_exit_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args, ok=False)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("artgan: error:") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_json_errors_are_json_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("generate", "mlp.nope", "-o", "x.png", "--json", ok=False)
    assert result.exit_code == 2 and "unknown model" in json.loads(result.stdout)["error"]


def test_unreadable_image_in_data_folder_is_reported(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"garbage")
    result = run("train", "mlp", "--data", folder, "--out", tmp_path / "r", "--steps", 1, ok=False)
    assert result.exit_code == 2 and "none of the images could be read" in result.stderr


def test_generate_refuses_to_overwrite(tiny_run, tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    result = run("generate", tiny_run, "-o", target, ok=False)
    assert result.exit_code == 2 and "--overwrite" in result.stderr and target.read_bytes() == b"precious"
    run("generate", tiny_run, "-o", target, "--overwrite")
    assert target.read_bytes() != b"precious"
