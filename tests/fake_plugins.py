"""Plugins for registry tests: a good one, contract breakers, and a failing import."""

from __future__ import annotations

from dataclasses import dataclass

from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Preset, Verb


@dataclass
class Cfg:
    size: int = 4  # nothing real


@dataclass
class NoOptions:
    pass


def _generate(model, options, inputs, generator):
    raise NotImplementedError


class Good(Plugin):
    name = "good"
    Config = Cfg
    roles = ("G", "D")
    verbs = (Verb("generate", _generate, NoOptions, Images),)

    def phases(self, config):
        return [Phase("D", ("D",)), Phase("G", ("G",))]

    def build(self, config):
        raise NotImplementedError

    def dataset(self, source, config):
        raise NotImplementedError

    def loss(self, phase, nets, batch, config):
        raise NotImplementedError

    def preview(self, nets, config, batch, generator):
        raise NotImplementedError


good = Good()


class NoLoss(Good):
    name = "noloss"
    loss = Plugin.loss


class BadPhases(Good):
    name = "badphases"

    def phases(self, config):
        return [Phase("D", ("D",), lr=1e-3), Phase("D_reg", ("D",), every=4, lr=2e-4)]


class UnknownRole(Good):
    name = "unknownrole"

    def phases(self, config):
        return [Phase("D", ("D",)), Phase("G", ("G", "G_ema"))]


class BadVerb(Good):
    name = "badverb"
    verbs = (Verb("Generate!", "not callable", dict, str, takes="everything", channels=(2,)),)


class FutureApi(Good):
    name = "future"
    api_version = 99


class WrongName(Good):
    name = "somethingelse"


class Duplicate(Good):
    name = "mlp"


class ShadowsTag(Good):
    """A second plugin shipping a preset tagged 'digits', to make the bare tag ambiguous."""

    name = "shadow"
    presets = (Preset(tag="digits", task="generate", sha256="a" * 64, licence="CC0", description="x", url="file:///nowhere.zip"),)


noloss, badphases, future, wrongname, duplicate, shadow = NoLoss(), BadPhases(), FutureApi(), WrongName(), Duplicate(), ShadowsTag()
unknownrole, badverb = UnknownRole(), BadVerb()
