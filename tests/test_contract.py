"""artgan.testing's contract checks over every installed plugin, and the checks themselves."""

import pytest

from artgan import registry
from artgan.testing import check_declaration, check_losses, check_plugin

PLUGINS = sorted(name for name, record in registry.discover(refresh=True).items() if record.ok)


@pytest.mark.parametrize("name", PLUGINS)
def test_every_installed_plugin_fulfils_the_contract(name, tmp_path):
    check_plugin(registry.get_plugin(name), tmp_path)


def test_checks_catch_a_broken_plugin(tmp_path):
    from fake_plugins import noloss

    with pytest.raises(AssertionError, match="missing method `loss`"):
        check_declaration(noloss)


def test_checks_catch_a_loss_that_trains_nothing(tmp_path):
    from lazy_plugin import LazyPlugin

    class Detached(LazyPlugin):
        def loss(self, phase, nets, batch, config):
            loss, logs = super().loss(phase, nets, batch, config)
            return loss.detach().requires_grad_(), logs

    plugin = Detached()
    source = plugin.test_source(tmp_path, plugin.tiny_config())
    with pytest.raises(AssertionError, match="gives no gradient"):
        check_losses(plugin, plugin.tiny_config(), source)
