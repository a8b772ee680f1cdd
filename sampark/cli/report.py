"""``sampark report monthly --month 2026-11 [--csv FILE]``: the district's monthly report.

The same table as the portal's printable page and its CSV (``portal.report_monthly``).
"""

from __future__ import annotations

from pathlib import Path

import click

from sampark.cli import load_settings
from sampark.cli.errors import EXIT_USAGE, CliError


@click.group("report")
def report_group() -> None:
    """Reports a district sends upward."""


@report_group.command("monthly")
@click.option("--month", required=True, help="The calendar month in IST, YYYY-MM.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the report as CSV to FILE ('-': standard output) instead of the table.",
)
def monthly_cmd(month: str, csv_path: Path | None) -> None:
    """The teleconsultation figures per HWC and hub for MONTH (as the portal's report)."""
    from core.db import Database
    from portal.report_monthly import HEADER, monthly_report, parse_month, to_csv

    try:
        parse_month(month)
    except ValueError as exc:
        raise CliError(f"report: {exc}", EXIT_USAGE) from exc
    db = Database(load_settings().database_url)
    try:
        with db.session() as session:
            report = monthly_report(session, month)
    finally:
        db.dispose()
    if csv_path is not None:
        text = to_csv(report)
        if str(csv_path) == "-":
            click.echo(text, nl=False)
        else:
            csv_path.write_text(text, encoding="utf-8", newline="")
        return
    table = [list(HEADER), *([str(v) for v in row.values()] for row in report.rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    click.echo(f"Teleconsultations, {report.month} (IST)")
    for line in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


COMMANDS = [report_group]
