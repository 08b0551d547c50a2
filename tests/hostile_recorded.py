"""A plugin module that leaves a trace when imported: tests assert when discovery must not touch it.

Import it only through an entry point; ``"hostile_recorded" in sys.modules`` says it was loaded
(think of it as a package that takes ten seconds to import).
"""

from __future__ import annotations

import click

from fake_plugins import Good


class Recorded(Good):
    name = "recorded"

    def commands(self):
        @click.command(name="recorded-hello")
        def hello() -> None:
            """Say hello from a third-party plugin."""
            click.echo("hello from recorded")

        return [hello]


plugin = Recorded()
