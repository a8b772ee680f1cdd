"""After a simulated day (``sampark simulate`` on the test database) the dashboard shows
what the database holds, counted here independently of the portal's SQL, and
``sampark report monthly`` prints the page's CSV."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import as_utc, to_ist
from models import CallLeg, Consultation, ConsultationState, LegRole, SmsMessage, Staff, StaffRole
from ops.simulate import run_simulation
from ops.simulate_summary import COMPLETED
from portal.security import hash_password
from sampark.app import create_app
from sampark.cli import main
from tests.portal.conftest import PASSWORD, AuthActions

pytestmark = pytest.mark.slow
S = ConsultationState
FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


def expected_outcome(c: Consultation) -> str:
    """The outcome rules as the dashboard documents them, written out again."""
    if c.doctor_joined_at is not None and c.state in COMPLETED:
        return "completed"
    if c.emergency:
        return "emergency"
    if c.state is S.UNREACHABLE:
        return "unreachable"
    if c.state is S.CALLBACK_SCHEDULED:
        return "callback"
    if c.state in COMPLETED or c.state in {S.ABANDONED, S.CONSENT_REFUSED, S.CANCELLED}:
        return "abandoned"
    return "in_progress"


def test_the_dashboard_and_the_report_agree_with_the_simulated_database(
    runtime: Runtime, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    summary = run_simulation(
        runtime.settings,
        patients=24,
        seed=7,
        database_url=runtime.settings.database_url,
        app_factory=create_app,
    )
    assert summary.completed > 0
    with runtime.db.session() as s:
        admin = s.scalars(select(Staff).where(Staff.role == StaffRole.DISTRICT_ADMIN)).first()
        if admin is None:
            district_id = s.scalars(select(Staff.district_id)).first()
            admin = Staff(
                code="ADM-SIM",
                name="Admin",
                role=StaffRole.DISTRICT_ADMIN,
                mobile="+919990000009",
                languages=["en"],
                district_id=district_id,
            )
            s.add(admin)
        admin.password_hash = hash_password(PASSWORD)
        admin.password_must_change = False
        code = admin.code
        rows = list(s.scalars(select(Consultation)))
        days = sorted({to_ist(c.created_at).date() for c in rows})
        outcomes = Counter(expected_outcome(c) for c in rows)
        waits = sorted(
            (as_utc(c.doctor_joined_at) - as_utc(c.created_at)).total_seconds()
            for c in rows
            if expected_outcome(c) == "completed" and c.doctor_joined_at is not None
        )
        offers = Counter(
            leg.outcome
            for leg in s.scalars(select(CallLeg).where(CallLeg.role == LegRole.DOCTOR_OFFER))
        )
        sms = Counter(
            status
            for status in s.scalars(
                select(SmsMessage.status).where(SmsMessage.consultation_id.is_not(None))
            )
        )
    auth.login(code)
    period = {"from": days[0].isoformat(), "to": days[-1].isoformat()}
    page = client.get("/portal/district", query_string=period)
    assert page.status_code == 200
    shown = dict(FIGURE.findall(page.text))
    for outcome in ("completed", "emergency", "unreachable", "callback", "abandoned"):
        assert shown[f"outcome:{outcome}"] == str(outcomes[outcome]), outcome
    assert shown["outcome:in_progress"] == str(outcomes["in_progress"])
    assert shown["wait:n"] == str(len(waits))
    assert shown["wait:p50"] == f"{statistics.median(waits) / 60:.1f}"
    assert shown["wait:p95"] == f"{waits[int(0.95 * (len(waits) - 1))] / 60:.1f}"
    assert shown["offers:*:accepted"] == str(offers["accepted"])
    assert shown["offers:*:no_answer"] == str(offers["missed"])
    assert shown["sms:delivered"] == str(sms["delivered"] + sms["read"])
    assert shown["sms:undelivered"] == str(sms["undelivered"])
    hwc_total = sum(int(v) for k, v in shown.items() if k.startswith("hwc:"))
    assert hwc_total == len(rows)

    month = f"{days[0]:%Y-%m}"
    page_csv = client.get("/portal/district/report.csv", query_string={"month": month})
    cli = CliRunner().invoke(
        main,
        ["report", "monthly", "--month", month, "--csv", str(tmp_path / "month.csv")],
        env={"DATABASE_URL": runtime.settings.database_url},
    )
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "month.csv").read_bytes() == page_csv.data  # byte for byte
    in_month = sum(1 for c in rows if f"{to_ist(c.created_at):%Y-%m}" == month)
    assert page_csv.data.decode().splitlines()[-1].split(",")[5] == str(in_month)
