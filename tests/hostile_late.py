"""A 'first-party' plugin sorted after the others that leaves a trace when imported
(``"hostile_late" in sys.modules``): finding a command among earlier plugins must not load it."""

from __future__ import annotations

from fake_plugins import Good


class Late(Good):
    name = "zzz"


plugin = Late()
