"""The ``sampark`` command line: one click group, one module per area.

The commands import what they run inside the command function: ``sampark --help`` and a
command that needs little (``db current``) do not load the whole product first. This is the
only place that does so; it dodges no cycle (the face stands above every package).
"""

from __future__ import annotations

import sys

import click

from core.settings import Settings, SettingsError
from sampark.cli.errors import SamparkGroup


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        click.echo(f"sampark: configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(cls=SamparkGroup)
def main() -> None:
    """Sampark: telephony-driven telemedicine for rural India."""
    from core.logs import configure_logging
    from sampark.wiring import wire

    configure_logging("WARNING")
    wire()


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"sampark.cli.{name}")
        for command in module.COMMANDS:
            main.add_command(command)


#: Each area's commands (a module exposing ``COMMANDS``); later issues add theirs.
COMMAND_MODULES = [
    "db",
    "web",
    "district",
    "staff",
    "consultations",
    "worker",
    "simulate",
    "standin",
    "fallback",
    "loadtest",
    "twilio",
    "report",
]

_register()
