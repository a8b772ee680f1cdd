"""``sampark db upgrade|downgrade|current|revision``: Alembic migrations."""

from __future__ import annotations

import os

import click

from models.migrate import current_revision, downgrade, new_revision, upgrade
from sampark.cli import load_settings


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


@db_group.command("revision")
@click.argument("message")
@click.option(
    "--server",
    default=lambda: os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
    ),
    show_default="$TEST_DATABASE_URL",
    help="A PostgreSQL server where a scratch database may be created and dropped.",
)
def revision_cmd(message: str, server: str) -> None:
    """Write the next migration: what the models have that the migrations lack."""
    click.echo(new_revision(server, message))


COMMANDS = [db_group]
