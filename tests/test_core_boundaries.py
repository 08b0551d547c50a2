"""The core names no plugin and no preset, imports no plugin module, and `import artgan` stays light."""

import ast
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import artgan
from artgan import registry

CORE = Path(artgan.__file__).parent
#: Plugin names that are also ordinary English words: refused only as a quoted name or a model name.
ENGLISH = {"pattern", "font", "terrain", "sprites", "cut"}


def _plugin_modules() -> set[str]:
    names = {ep.value.split(":")[0].split(".")[0] for ep in metadata.entry_points(group="artgan.plugins")}
    return names | {"artgan_mlp", "artgan_example"}


def _names() -> tuple[set[str], set[str]]:
    """Installed plugins' names and their presets' tags and full names."""
    plugins, presets = set(), set()
    for record in registry.discover(refresh=True).values():
        if record.ok:
            plugins.add(record.plugin.name)
            presets |= {p.tag for p in record.plugin.presets} | {f"{record.plugin.name}.{p.tag}" for p in record.plugin.presets}
    return plugins, presets


def offences(source: str, plugins: set[str], presets: set[str]) -> list[str]:
    """Where ``source`` names a plugin or a preset: in code, strings, docstrings or comments."""
    found = []
    for word in sorted(presets):
        if re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", source):  # "latin-1" is an encoding, not a preset
            found.append(f"names the preset {word!r}")
    for name in sorted(plugins):
        pattern = rf"[\"']{name}\b|\b{name}\.\w" if name in ENGLISH else rf"\b{name}\b"
        if re.search(pattern, source):
            found.append(f"names the plugin {name!r}")
    return found


def test_core_names_no_plugin_and_no_preset():
    plugins, presets = _names()
    assert {"mlp", "cyclegan", "pattern"} <= plugins and "vangogh" in presets, "the check needs the first-party plugins installed"
    problems = [f"{path.relative_to(CORE.parent)}: {o}" for path in CORE.rglob("*.py") for o in offences(path.read_text(), plugins, presets)]
    assert not problems, problems


def test_the_name_check_catches_names():
    plugins, presets = {"mlp", "pattern"}, {"digits", "mlp.digits"}
    assert offences('style = "vangogh"\n', {"cyclegan"}, {"vangogh"}) == ["names the preset 'vangogh'"]
    assert offences("# the mlp plugin\n", plugins, presets) == ["names the plugin 'mlp'"]
    assert offences('load("mlp.digits")', plugins, presets) == ["names the preset 'mlp.digits'", "names the plugin 'mlp'"]
    assert offences("a pattern of tiles", plugins, presets) == []
    assert offences('get_plugin("pattern")', plugins, presets) == ["names the plugin 'pattern'"]


def test_core_imports_no_plugin_module():
    plugins = _plugin_modules()
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            offenders += [f"{path.name}: {m}" for m in modules if m.split(".")[0] in plugins]
    assert not offenders, offenders


def test_import_artgan_does_not_import_torch():
    code = "import sys, artgan; artgan.__version__; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_artgan_help_lists_plugin_commands_without_importing_torch():
    code = ("import sys\nfrom artgan.cli import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "stylize" in out and out.strip().endswith("False"), out
