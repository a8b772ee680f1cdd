"""``sampark district import|export|stats``: the district registry from and to YAML.

Exit codes: 0 done; 1 the file has problems (each printed as ``FILE:LINE: message``,
nothing written); 2 usage or configuration error; 3 the database failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from core.db import Database
from sampark.cli import load_settings
from sampark.registry import (
    NoDistrict,
    RegistryInvalid,
    check,
    export_yaml,
    import_text,
    read_registry,
    registry_stats,
)

T = TypeVar("T")

EXIT_INVALID = 1
EXIT_DATABASE = 3


@contextmanager
def _database() -> Iterator[Database]:
    database = Database(load_settings().database_url)
    try:
        yield database
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        click.echo(f"sampark: database error: {reason}", err=True)
        click.echo("(is the database reachable and migrated? `sampark db upgrade`)", err=True)
        sys.exit(EXIT_DATABASE)
    finally:
        database.dispose()


def _read_only(func: Callable[[Database], T]) -> T:
    with _database() as database:
        return func(database)


@click.group("district")
def district_group() -> None:
    """The district registry: hubs, spokes, staff and rosters."""


@district_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Validate only; write nothing.")
def import_cmd(file: Path, check_only: bool) -> None:
    """Validate FILE as a whole, then upsert it in one transaction.

    Every problem is reported with its line; a file with any problem changes nothing.
    """
    text = read_registry(file)
    try:
        if check_only:
            doc = check(text)
            click.echo(
                f"{file}: valid ({len(doc.hubs)} hubs, {len(doc.spokes)} spokes,"
                f" {len(doc.staff)} staff)"
            )
            return
        with _database() as database:
            report = import_text(database, text)
    except RegistryInvalid as exc:
        for problem in exc.problems:
            click.echo(problem.render(str(file)), err=True)
        click.echo(f"{file}: {len(exc.problems)} problem(s); nothing was imported", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(report.summary())


@district_group.command("export")
@click.option("--district", "district_code", help="District code (default: the only one).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
def export_cmd(district_code: str | None, output: Path | None) -> None:
    """Print the registry as a district YAML file (numbers in E.164)."""

    def run(database: Database) -> str:
        with database.session() as session:
            return export_yaml(session, district_code)

    try:
        text = _read_only(run)
    except NoDistrict as exc:
        click.echo(f"sampark: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@district_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_cmd(as_json: bool) -> None:
    """Counts: blocks, hubs, spokes, ANMs, doctors and more."""

    def run(database: Database) -> dict[str, object]:
        with database.session() as session:
            return registry_stats(session)

    stats = _read_only(run)
    if as_json:
        click.echo(json.dumps(stats, indent=2, sort_keys=False))
        return
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        click.echo(f"{key.replace('_', ' ')}: {value}")


COMMANDS = [district_group]
