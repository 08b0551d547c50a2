"""The plugin passes artgan's contract checks (what every plugin package should test)."""

from artgan.testing import check_plugin
from artgan_heights import plugin


def test_contract(tmp_path):
    check_plugin(plugin, tmp_path)
