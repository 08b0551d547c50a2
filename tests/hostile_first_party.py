"""Plugins that tests dress up as first-party (a fake 'artgan' distribution): one adds a command."""

from __future__ import annotations

import click

from fake_plugins import Good


class WithCommand(Good):
    name = "aaa"

    def commands(self):
        @click.command(name="aaa-hello")
        def hello() -> None:
            """Say hello from a first-party plugin."""
            click.echo("hello from aaa")

        return [hello]


aaa = WithCommand()
