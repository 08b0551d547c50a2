"""Plugins that misbehave in every way one can: each must end up *broken*, never take artgan down."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from artgan.plugin import Preset
from fake_plugins import Good

_SHA = "a" * 64


@dataclass
class ExplodingConfig:
    size: int = 4  # nothing real

    def __post_init__(self):
        raise RuntimeError("Config() needs a GPU licence server")


class ConfigRaises(Good):
    name = "configraises"
    Config = ExplodingConfig


class NameRaises(Good):
    @property
    def name(self):
        raise RuntimeError("name lookup hit the network")


class VerbsExit(Good):
    name = "verbsexit"

    @property
    def verbs(self):
        sys.exit("verbs called sys.exit")


class WritersGeneratorExit(Good):
    name = "writersgenexit"

    @property
    def writers(self):
        raise GeneratorExit("writers raised GeneratorExit")


class RolesRaise(Good):
    name = "rolesraise"

    @property
    def roles(self):
        raise ValueError("roles are not ready")


class PresetsRaise(Good):
    name = "presetsraise"

    @property
    def presets(self):
        raise KeyError("presets index missing")


class InitExits(Good):
    """Instantiated by the registry (the entry point names the class): its __init__ exits."""

    name = "initexits"

    def __init__(self):
        sys.exit(4)


class MissingPresetFile(Good):
    name = "missingfile"
    presets = (Preset(tag="ghost", task="generate", sha256=_SHA, licence="CC0", description="x",
                      path=Path(__file__).parent / "no_such_preset_folder"),)


class NonStringTag(Good):
    name = "inttag"
    presets = (Preset(tag=5, task="generate", sha256=_SHA, licence="CC0", description="x", url="file:///x.zip"),)


class PresetsNotList(Good):
    name = "presetsnotlist"
    presets = [{"tag": "digits", "url": "file:///x.zip"}]


class PresetsAString(Good):
    name = "presetsstring"
    presets = "digits"


class OptionsRaise(Good):
    """A verb whose Options() raises something other than TypeError."""

    name = "optionsraise"

    @property
    def verbs(self):
        from artgan.outputs import Images
        from artgan.plugin import Verb

        @dataclass
        class Angry:
            n: int = 1

            def __post_init__(self):
                raise ValueError("no options today")

        return (Verb("generate", lambda *a: None, Angry, Images),)


class CommandsExit(Good):
    name = "commandsexit"

    def commands(self):
        sys.exit("commands() called sys.exit")


configraises, nameraises, verbsexit, writersgenexit = ConfigRaises(), NameRaises(), VerbsExit(), WritersGeneratorExit()
rolesraise, presetsraise, missingfile, inttag = RolesRaise(), PresetsRaise(), MissingPresetFile(), NonStringTag()
presetsnotlist, presetsstring, optionsraise, commandsexit = PresetsNotList(), PresetsAString(), OptionsRaise(), CommandsExit()


class NameInterrupts(Good):
    """Ctrl-C while a plugin loads must still stop artgan (not be filed as a broken plugin)."""

    @property
    def name(self):
        raise KeyboardInterrupt


interrupts = NameInterrupts()
