"""The dashboard on PostgreSQL after a simulated day: ``run_simulation`` (24 patients, in
process) in the test's PostgreSQL database, every figure compared with the rows counted
again in Python, and ``sampark report monthly`` printing the page's CSV.

``test_district_cli.py`` runs the real ``sampark simulate --patients 200 --keep-db`` on
SQLite; this one is kept for the other dialect: the figures' day and week buckets
(``portal.district_sql.ist_day``/``ist_week``) compile to different SQL on each.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from core.runtime import Runtime
from ops.simulate import run_simulation
from sampark.app import create_app
from sampark.cli import main
from tests.portal.conftest import PASSWORD, AuthActions
from tests.portal.district_expected import (
    admin_who_can_log_in,
    consultations_between,
    expected_figures,
    ist_day,
    shown_figures,
)

pytestmark = pytest.mark.slow


def test_the_dashboard_and_the_report_agree_with_the_simulated_database_on_postgresql(
    runtime: Runtime, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    assert not runtime.db.is_sqlite, "this test is for PostgreSQL's SQL"
    summary = run_simulation(
        runtime.settings,
        patients=24,
        seed=7,
        database_url=runtime.settings.database_url,
        app_factory=create_app,
    )
    assert summary.completed > 0
    with runtime.db.session() as s:
        code = admin_who_can_log_in(s, PASSWORD)
    with runtime.db.session() as s:
        rows = consultations_between(s, date.min, date.max)
        days = sorted({ist_day(c) for c in rows})
        expected = expected_figures(s, days[0], days[-1])
    auth.login(code)
    assert shown_figures(client, days[0], days[-1]) == expected

    month = f"{days[0]:%Y-%m}"
    page_csv = client.get("/portal/district/report.csv", query_string={"month": month})
    cli = CliRunner().invoke(
        main,
        ["report", "monthly", "--month", month, "--csv", str(tmp_path / "month.csv")],
        env={"DATABASE_URL": runtime.settings.database_url},
    )
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "month.csv").read_bytes() == page_csv.data  # byte for byte
    in_month = sum(1 for c in rows if f"{ist_day(c):%Y-%m}" == month)
    assert page_csv.data.decode().splitlines()[-1].split(",")[5] == str(in_month)
