"""Issue 17's Done-when, through the real command line: after ``sampark simulate --patients
200 --keep-db FILE``, the dashboard built on that database shows exactly the figures counted
here from its rows, and ``sampark report monthly --csv`` writes the page's CSV byte for byte.

The run is the CLI in a process of its own (its own SQLite file and embedded Redis, as a
district officer would run it); the portal then opens the kept file like any database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.runtime import Runtime
from core.settings import Settings
from portal.report_monthly import HEADER, NO_HWC
from sampark.app import create_app
from tests.portal.conftest import PASSWORD, AuthActions
from tests.portal.district_expected import (
    OUTCOMES,
    admin_who_can_log_in,
    consultations_between,
    expected_figures,
    expected_outcome,
    ist_day,
    shown_figures,
)

pytestmark = pytest.mark.slow
PATIENTS = 200
SAMPARK = Path(sys.executable).with_name("sampark")  # the console script beside this Python


def sampark(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run the ``sampark`` command line as a user does."""
    return subprocess.run(
        [str(SAMPARK), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_simulate_200_then_dashboard_and_monthly_report_equal_the_database(
    settings: Settings, tmp_path: Path
) -> None:
    db_file = tmp_path / "sim.db"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["SAMPARK_INSTANCE_PATH"] = str(tmp_path)
    run = sampark(
        "simulate", "--patients", str(PATIENTS), "--keep-db", str(db_file), "--seed", "17",
        "--json", env=env, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert db_file.exists()
    url = f"sqlite:///{db_file}"
    kept = settings.with_overrides(database_url=url)
    runtime = Runtime.from_settings(kept)
    try:
        with runtime.db.session() as s:
            code = admin_who_can_log_in(s, PASSWORD)
        with runtime.db.session() as s:
            rows = consultations_between(s, date.min, date.max)
            days = sorted({ist_day(c) for c in rows})
            expected = expected_figures(s, days[0], days[-1])
            months = sorted({f"{d:%Y-%m}" for d in days})
            by_month = {
                m: [c for c in rows if f"{ist_day(c):%Y-%m}" == m] for m in months
            }  # fmt: skip
            outcomes_by_month = {
                m: [sum(expected_outcome(c) == o for c in cs) for o in OUTCOMES]
                for m, cs in by_month.items()
            }
        assert len(rows) >= PATIENTS  # every patient has a consultation (some call twice)
        client: FlaskClient = create_app(kept, runtime=runtime, TESTING=True).test_client()
        assert AuthActions(client).login(code).status_code == 302
        shown = shown_figures(client, days[0], days[-1])
        assert int(expected["outcome:completed"]) > PATIENTS // 2
        assert shown == expected  # every figure table, key for key

        for month in months:
            page_csv = client.get("/portal/district/report.csv", query_string={"month": month})
            assert page_csv.status_code == 200
            out = tmp_path / f"{month}.csv"
            report = sampark(
                "report", "monthly", "--month", month, "--csv", str(out),
                env={**env, "DATABASE_URL": url}, timeout=120,
            )  # fmt: skip
            assert report.returncode == 0, report.stderr
            assert out.read_bytes() == page_csv.data  # byte for byte
            lines = [line.split(",") for line in page_csv.data.decode().splitlines()]
            assert tuple(lines[0]) == HEADER
            district = lines[-1]
            assert district[0] == "district"
            assert int(district[5]) == len(by_month[month])
            assert [int(v) for v in district[6 : 6 + len(OUTCOMES)]] == outcomes_by_month[month]
            per_hwc = {line[3]: int(line[5]) for line in lines[1:] if line[0] == "hwc"}
            in_month = Counter(c.spoke.code if c.spoke else NO_HWC for c in by_month[month])
            assert {k: n for k, n in per_hwc.items() if n} == in_month
    finally:
        runtime.close()
