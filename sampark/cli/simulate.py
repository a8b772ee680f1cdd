"""``sampark simulate``: scripted patient journeys through the local Twilio stand-in."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

import click
from sqlalchemy import create_engine, func, inspect, select, table

from sampark.cli import load_settings
from sampark.cli.errors import EXIT_USAGE, CliError


def _must_be_empty(url: str) -> None:
    """Refuse a database that already holds a district (the run writes its own into it)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("districts"):
                return
            districts = conn.scalar(select(func.count()).select_from(table("districts")))
    finally:
        engine.dispose()
    if districts:
        raise CliError(
            f"simulate: DATABASE_URL's database already holds {districts} district(s); "
            "give it an empty database, or unset DATABASE_URL for a temporary one",
            EXIT_USAGE,
        )


@click.command("simulate")
@click.option("--patients", "-n", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--real-time", is_flag=True, help="Run the stand-in on the real clock.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--region",
    type=click.Choice(["auto", "IN", "none"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="The Twilio country rules the stand-in applies (standin/regions.py); auto: those of "
    "the registry's numbers (the simulated district's are Indian: IN). Under IN patients ring "
    "the toll-free district line and key their spoke's code, and calls and SMS come from "
    "OUTBOUND_CALLER_ID (else a fictional US number).",
)
@click.option(
    "--keep-db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the run's SQLite database to PATH and keep it (else it is temporary).",
)
def simulate_cmd(
    patients: int, real_time: bool, seed: int, as_json: bool, region: str, keep_db: Path | None
) -> None:
    """Run N patient journeys (a mix of outcomes) and print what became of them.

    The run has a temporary SQLite database of its own, removed at the end (--keep-db
    keeps it); with DATABASE_URL set it runs in that database, which must be empty.
    Ctrl-C or SIGTERM stops it within seconds and prints what it had done (exit 130/143).
    Exit 1 when a patient was lost or the region's rules refused a request.
    """
    from ops.simulate import Interrupted, run_simulation
    from ops.simulate_setup import TelephonySetup, resolve_region
    from sampark.app import create_app

    settings = load_settings()
    setup = TelephonySetup.for_region(resolve_region(region), settings.outbound_caller_id)
    database_url = settings.database_url if os.environ.get("DATABASE_URL") else None
    if database_url and keep_db:
        raise CliError(
            "simulate: --keep-db is for the run's own SQLite file; with DATABASE_URL the run "
            "is in that database (and stays there)",
            EXIT_USAGE,
        )
    if keep_db and keep_db.exists():
        raise CliError(f"simulate: --keep-db {keep_db} exists; name a new file", EXIT_USAGE)
    if database_url:
        _must_be_empty(database_url)
    progress = None if as_json else click.progressbar(length=patients, label="patients")
    if progress is not None:
        progress.__enter__()
    interrupted: Interrupted | None = None
    try:
        summary = run_simulation(
            settings,
            patients=patients,
            real_time=real_time,
            seed=seed,
            database_url=database_url,
            keep_db=keep_db,
            on_progress=(lambda done: progress.update(done - progress.pos)) if progress else None,
            app_factory=create_app,
            setup=setup,
        )
    except Interrupted as exc:
        interrupted, summary = exc, exc.summary
    finally:
        if progress is not None:
            progress.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(summary.text())
    if keep_db:
        click.echo(f"database kept: {keep_db}", err=True)
    # The interpreter's last collection over the run's objects takes seconds: exit without it.
    gc.freeze()
    if interrupted is not None:
        click.echo(f"sampark simulate: {interrupted}; the summary is of the run so far", err=True)
        sys.exit(128 + interrupted.signum)
    sys.exit(0 if summary.lost == 0 and summary.refused == 0 else 1)


COMMANDS = [simulate_cmd]
