"""``sampark db upgrade|downgrade|current``: Alembic migrations."""

from __future__ import annotations

import click

from sampark.cli import load_settings
from sampark.migrate import current_revision, downgrade, upgrade


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_cmd(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    settings = load_settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {current_revision(settings.database_url) or 'base'}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_cmd(revision: str) -> None:
    """Downgrade the database to REVISION (``base`` empties it)."""
    settings = load_settings()
    downgrade(settings.database_url, revision)
    click.echo(f"database at {current_revision(settings.database_url) or 'base'}")


@db_group.command("current")
def current_cmd() -> None:
    """Print the database's current revision."""
    click.echo(current_revision(load_settings().database_url) or "base")


COMMANDS = [db_group]
