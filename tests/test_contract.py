"""artgan.testing's contract checks over every installed plugin, and the checks themselves."""

import pytest

from artgan import registry
from artgan.testing import check_declaration, check_losses, check_plugin, make_test_source

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
    source = make_test_source(plugin, tmp_path, plugin.tiny_config())
    with pytest.raises(AssertionError, match="gives no gradient"):
        check_losses(plugin, plugin.tiny_config(), source)


BROKEN = [
    ("NoTanh", r"outside \[-1, 1\] \(a missing tanh\?\)"),
    ("WrongSize", r"returned \(4, 4\) \(H, W\) but its `size` declares \(8, 8\)"),
    ("WrongChannels", r"returned 1 channel\(s\) but declares channels=\(3,\)"),
    ("IntegerPixels", "must be floating point"),
    ("WrongType", "returned str, but declares output=Images"),
    ("IgnoresSeed", "same seed must give the same output"),
    ("CrashesOnNonsense", "with n=-1 raised RuntimeError"),
    ("BuildsTooLittle", r"build\(\) returns roles \['D', 'G'\] but the plugin declares roles"),
    ("CrashesOnMissingData", "raised FileNotFoundError"),
    ("BadWriter", r"writer for '\.txt' must return non-empty bytes"),
]


@pytest.mark.parametrize("name, message", BROKEN)
def test_check_plugin_fails_each_broken_plugin(name, message, tmp_path):
    import kit_plugins

    with pytest.raises(AssertionError, match=message):
        check_plugin(getattr(kit_plugins, name)(), tmp_path)


def test_check_plugin_passes_the_good_one(tmp_path):
    from kit_plugins import good

    check_plugin(good, tmp_path)
