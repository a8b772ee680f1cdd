"""``sampark fallback list|retry|drop``: the webhooks kept for replay, and the quarantined ones.

A webhook that failed is kept in ``<instance>/fallback`` and replayed by the
sweeper every minute; one that fails ``MAX_TRIES`` replays is quarantined and
waits here for the operator: ``retry`` puts it back in the replay with its tries
reset, ``drop`` deletes it (what was dropped is logged in full).
"""

from __future__ import annotations

import json
import sys

import click

from core import fallback
from sampark.cli import load_settings


@click.group("fallback")
def fallback_group() -> None:
    """Webhooks kept for replay after a failure, and the quarantined ones."""


@fallback_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_records(as_json: bool) -> None:
    """Counts of pending and quarantined records, and each quarantined record."""
    settings = load_settings()
    summary = fallback.summary(settings)
    records = fallback.quarantined(settings)
    if as_json:
        click.echo(json.dumps({**summary, "quarantined_records": records}, indent=2))
        return
    for name in ("pending", "quarantined"):
        part = summary[name]
        kinds = ", ".join(f"{k} {n}" for k, n in part["by_kind"].items()) or "-"
        oldest = f", oldest {part['oldest']}" if part["oldest"] else ""
        click.echo(f"{name}: {part['count']} ({kinds}){oldest}")
    for r in records:
        kind = f"{r.get('area')}.{r.get('kind')}"
        error = str(r.get("error", ""))[:80]
        click.echo(f"{r['id']}  {kind:<20} {r.get('at')}  tries {r.get('tries')}  {error}")


def _chosen(ids: tuple[str, ...], everything: bool) -> list[str] | None:
    if everything == bool(ids):
        raise click.UsageError("name the record ids, or give --all (not both)")
    return None if everything else list(ids)


def _report(verb: str, done: list[fallback.Record], missing: list[str]) -> None:
    for record in done:
        click.echo(f"{verb} {record['id']} ({record.get('area')}.{record.get('kind')})")
    for record_id in missing:
        click.echo(f"not quarantined: {record_id}", err=True)
    click.echo(f"{len(done)} {verb}")
    if missing:
        sys.exit(1)


@fallback_group.command("retry")
@click.argument("ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every quarantined record.")
def retry_records(ids: tuple[str, ...], everything: bool) -> None:
    """Put quarantined records back in the replay, their tries reset."""
    done, missing = fallback.retry(load_settings(), _chosen(ids, everything))
    _report("retried", done, missing)


@fallback_group.command("drop")
@click.argument("ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every quarantined record.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def drop_records(ids: tuple[str, ...], everything: bool, yes: bool) -> None:
    """Delete quarantined records for good (each is logged before it goes)."""
    chosen = _chosen(ids, everything)
    if not yes:
        what = "every quarantined record" if chosen is None else f"{len(chosen)} record(s)"
        click.confirm(f"Drop {what}? Their events will never be replayed", abort=True)
    done, missing = fallback.drop(load_settings(), chosen)
    _report("dropped", done, missing)


COMMANDS = [fallback_group]
