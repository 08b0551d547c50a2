"""Plugins add commands of their own; a clash or a failure costs only those commands."""

import json

import pytest
from click.testing import CliRunner

from artgan import cli as cli_module
from artgan.cli import cli


@pytest.fixture
def with_plugins(fake_plugins, monkeypatch):
    def install(entries):
        fake_plugins(entries)
        monkeypatch.setattr(cli_module, "_COMMANDS", None)

    yield install
    cli_module._COMMANDS = None


def test_a_plugin_command_is_mounted_listed_and_runs(with_plugins):
    with_plugins({"kitcmd": "kit_plugins:commands"})
    runner = CliRunner()
    assert "kit-hello" in runner.invoke(cli, ["--help"]).output
    result = runner.invoke(cli, ["kit-hello", "world"])
    assert result.exit_code == 0 and result.output == "hello world\n"
    listed = json.loads(runner.invoke(cli, ["plugins", "--json"]).output)
    assert next(p for p in listed if p["name"] == "kitcmd")["commands"] == ["kit-hello"]


def test_clashing_and_failing_commands_are_absent_and_explained(with_plugins):
    with_plugins({"kitclash": "kit_plugins:clashing", "kitfail": "kit_plugins:failing"})
    runner = CliRunner()
    listed = {p["name"]: p for p in json.loads(runner.invoke(cli, ["plugins", "--json"]).output)}
    assert "command 'train' is already taken" in listed["kitclash"]["error"]
    assert "commands failed to load: ImportError" in listed["kitfail"]["error"]
    assert listed["kitfail"]["status"] == "ok" and listed["kitfail"]["verbs"] == ["generate"], "its verbs still work"
    help_text = runner.invoke(cli, ["train", "--help"]).output
    assert "Train PLUGIN's model" in help_text, "the core's train is not replaced"


def test_the_shipped_stylize_command_comes_from_its_plugin():
    found = cli_module.plugin_commands()
    assert found.owners["stylize"] == "cyclegan" and "stylize" not in cli.commands


def test_generic_runner_help_lists_the_models_own_options():
    result = CliRunner().invoke(cli, ["generate", "pattern.textures", "--help"])
    assert result.exit_code == 0
    for flag in ("--label", "--mix", "--size", "--tileable", "--interpolate", "--frames", "-p, --param"):
        assert flag in result.output, flag
    assert "--size" not in CliRunner().invoke(cli, ["generate", "mlp.digits", "--help"]).output


def test_any_verb_runs_through_artgan_run(tmp_path):
    result = CliRunner().invoke(cli, ["run", "mlp.digits", "generate", "-n", "2", "--seed", "1", "-o", str(tmp_path / "a.png"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["count"] == 2
    result = CliRunner().invoke(cli, ["run", "mlp.digits", "-p", "n=2", "-o", str(tmp_path / "b.png")])
    assert result.exit_code == 2 and "say what mlp.digits should do" in result.stderr
