"""A tiny good plugin with a verb, and broken variants, each failing one check of artgan.testing."""

from __future__ import annotations

import torch

from artgan.outputs import Images
from artgan.plugin import Phase, Verb
from lazy_plugin import GenerateOptions as Options
from lazy_plugin import LazyPlugin
from lazy_plugin import generate as draw


def _verb(run, **changes):
    fields = {"channels": (1,), "size": lambda config, options, inputs: (4, 4), **changes}
    return (Verb("generate", run, Options, Images, **fields),)


class Good(LazyPlugin):
    name = "kitgood"
    verbs = _verb(draw)


class NoTanh(Good):
    """Forgot the tanh: pixels far outside [-1, 1]."""

    verbs = _verb(lambda m, o, i, g: Images(draw(m, o, i, g).pixels * 50))


class WrongSize(Good):
    verbs = _verb(draw, size=lambda config, options, inputs: (8, 8))


class WrongChannels(Good):
    verbs = _verb(draw, channels=(3,))


class IntegerPixels(Good):
    verbs = _verb(lambda m, o, i, g: Images(draw(m, o, i, g).pixels.round().long()))


class WrongType(Good):
    verbs = (Verb("generate", lambda m, o, i, g: "a picture", Options, Images),)


class IgnoresSeed(Good):
    verbs = _verb(lambda m, o, i, g: Images(m.nets["G"](torch.randn(o.n, m.config.z_dim))))


class CrashesOnNonsense(Good):
    verbs = _verb(lambda m, o, i, g: Images(m.nets["G"](torch.randn(o.n, m.config.z_dim, generator=g))))


class BuildsTooLittle(Good):
    roles = ("G", "D", "D_extra")

    def phases(self, config):
        return [Phase("D", ("D",)), Phase("G", ("G",))]


class CrashesOnMissingData(Good):
    def dataset(self, source, config):
        return list(open(f"{source}/index.txt"))


class BadWriter(Good):
    """Claims a format for Images whose encoder returns text, not bytes."""

    from artgan.plugin import Writer

    writers = (Writer((".txt",), Images, lambda output, suffix, metadata: "text", "text"),)


class Commands(Good):
    name = "kitcmd"

    def commands(self):
        import click

        @click.command(name="kit-hello")
        @click.argument("who")
        def hello(who):
            """Say hello (a plugin command)."""
            click.echo(f"hello {who}")

        return [hello]


class ClashingCommands(Good):
    name = "kitclash"

    def commands(self):
        import click

        return [click.Command("train", callback=lambda: None)]


class FailingCommands(Good):
    name = "kitfail"

    def commands(self):
        raise ImportError("No module named 'click_extra'")


good, commands, clashing, failing = Good(), Commands(), ClashingCommands(), FailingCommands()
