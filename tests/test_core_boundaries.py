"""The core never imports a plugin by name, and `import artgan` stays light."""

import ast
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import artgan

CORE = Path(artgan.__file__).parent


def _plugin_modules() -> set[str]:
    names = {ep.value.split(":")[0].split(".")[0] for ep in metadata.entry_points(group="artgan.plugins")}
    return names | {"artgan_mlp", "artgan_example"}


def test_core_imports_no_plugin_module():
    plugins = _plugin_modules()
    offenders = []
    for path in CORE.rglob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            offenders += [f"{path.name}: {m}" for m in modules if m.split(".")[0] in plugins]
        offenders += [f"{path.name}: mentions {p!r}" for p in plugins if f'"{p}' in source or f"'{p}" in source]
    assert not offenders, offenders


def test_import_artgan_does_not_import_torch():
    code = "import sys, artgan; artgan.__version__; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
