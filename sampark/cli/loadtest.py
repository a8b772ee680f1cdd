"""``sampark loadtest``: the product in separate processes under load and faults (ops/loadtest)."""

from __future__ import annotations

import json
import os
import signal
import sys

import click


@click.command("loadtest")
@click.option("--patients", "-n", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--web-workers", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--arrival-s", default=120.0, show_default=True, help="Patients dial in over this.")
@click.option(
    "--faults",
    default=None,
    help="KIND@S[+DURATION],... (kill_worker, flush_redis, cut_postgres, cut_redis; 'none') "
    "[default: kill_worker@40,flush_redis@70,cut_postgres@100+20,cut_redis@150+10].",
)
@click.option("--settle-max-s", default=1500.0, show_default=True)
@click.option(
    "--district-scale",
    default=3.0,
    show_default=True,
    help="The simulated district's staff and spokes are sized for this many times the "
    "patients (1: sampark simulate's, sized for patients spread over an hour).",
)
@click.option(
    "--short", is_flag=True, help="The make-test version: 30 patients, fast workflow timers."
)
@click.option(
    "--database-url",
    envvar="LOADTEST_DATABASE_URL",
    help="A PostgreSQL server URL (a scratch database is made on it) "
    "[default: $LOADTEST_DATABASE_URL, else $DATABASE_URL].",
)
@click.option(
    "--redis-url",
    envvar="LOADTEST_REDIS_URL",
    help="A Redis database of the run's own: it is flushed [default: $LOADTEST_REDIS_URL, "
    "else $REDIS_URL].",
)
@click.option(
    "--region",
    type=click.Choice(["auto", "IN", "none"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="The stand-in's country rules (as sampark simulate --region; auto: IN for the "
    "simulated district's Indian numbers): patients ring the toll-free district line and "
    "key their spoke's code, calls and SMS come from OUTBOUND_CALLER_ID (else a fictional "
    "US number); a request the rules refuse fails the run.",
)
@click.option("--keep", is_flag=True, help="Keep the scratch database.")
@click.option("--details/--no-details", default=True, help="Per-patient details of failures.")
def loadtest_cmd(
    patients: int,
    workers: int,
    web_workers: int,
    seed: int,
    arrival_s: float,
    faults: str | None,
    settle_max_s: float,
    district_scale: float,
    short: bool,
    database_url: str | None,
    redis_url: str | None,
    region: str,
    keep: bool,
    details: bool,
) -> None:
    """Start the stand-in (real clock), gunicorn and WORKERS ``sampark worker``s on a
    scratch PostgreSQL database and Redis (through fault proxies), let PATIENTS dial in
    and press keys, inject FAULTS, wait for the sweeper to settle, and account for every
    patient from the database. Prints JSON; exits 1 if any patient was lost, overdue,
    stalled, rung twice at once, or got a leg or SMS twice.
    """
    from ops.loadtest import LoadtestConfig, run_loadtest

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # the run stops its processes and drops its database

    signal.signal(signal.SIGTERM, interrupted)

    db = database_url or os.environ.get("DATABASE_URL", "")
    rd = redis_url or os.environ.get("REDIS_URL", "")
    if not db.startswith("postgresql") or not rd.startswith("redis"):
        raise click.UsageError("a PostgreSQL --database-url and a --redis-url are needed")
    changes: dict[str, object] = {"seed": seed, "keep": keep, "region": region}
    if faults is not None:
        changes["faults"] = faults
    if short:
        source = click.get_current_context().get_parameter_source("patients")
        if source is not None and source.name != "DEFAULT":
            changes["patients"] = patients
        cfg = LoadtestConfig.short(db, rd, **changes)
    else:
        cfg = LoadtestConfig(
            database_url=db,
            redis_url=rd,
            patients=patients,
            workers=workers,
            web_workers=web_workers,
            arrival_s=arrival_s,
            settle_max_s=settle_max_s,
            district_scale=district_scale,
            **changes,  # type: ignore[arg-type]
        )
    report = run_loadtest(cfg)
    if not details:
        report.pop("details", None)
    click.echo(json.dumps(report, indent=2, default=str))
    sys.exit(0 if report["ok"] else 1)


COMMANDS = [loadtest_cmd]
