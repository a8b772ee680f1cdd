"""The dashboard, its charts and the monthly report: open to district admins only; the
page shows the figures of ``portal.district_figures`` for the chosen period and block."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from models import Block, Staff
from portal.report_monthly import monthly_report, to_csv
from portal.security import hash_password
from tests.builders import build_mini_district
from tests.portal.conftest import PASSWORD, AuthActions
from tests.portal.district_rows import build_rows

FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')
WEEK = {"from": "2026-11-09", "to": "2026-11-15"}
PAGES = (
    "/portal/district",
    "/portal/district/chart/outcomes.svg",
    "/portal/district/report?month=2026-11",
    "/portal/district/report.csv?month=2026-11",
)


def page_figures(html: str) -> dict[str, str]:
    """The numbers the page shows, by their ``data-figure`` key."""
    return dict(FIGURE.findall(html))


@pytest.fixture
def district(runtime: Runtime) -> None:
    """The mini district and the hand-built November rows; everyone has a password."""
    password_hash = hash_password(PASSWORD)
    with runtime.db.session() as s:
        build_rows(s, build_mini_district(s))
        for person in s.scalars(select(Staff)):
            person.password_hash = password_hash


@pytest.mark.usefixtures("district")
def test_the_dashboard_shows_the_periods_figures(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ADM-1")
    html = client.get("/portal/district", query_string=WEEK).text
    shown = page_figures(html)
    assert shown["outcome:completed"] == "3" and shown["outcome:abandoned"] == "2"
    assert shown["day:2026-11-11:Kishanganj"] == "2"
    assert shown["hwc:HWC-001"] == "4"
    assert shown["wait:p50"] == "15.0" and shown["wait:n"] == "3"
    assert shown["offers:*:accepted"] == "3" and shown["offers:*:accepted%"] == "60"
    assert shown["sms:failed"] == "2"
    for name in ("per-day", "per-week", "outcomes", "wait", "offers", "sms", "rosters"):
        assert f"/portal/district/chart/{name}.svg?" in html


@pytest.mark.usefixtures("district")
def test_a_block_filter_and_a_bad_date(
    runtime: Runtime, client: FlaskClient, auth: AuthActions
) -> None:
    with runtime.db.session() as s:
        pothia = s.scalars(select(Block.id).where(Block.name == "Pothia")).one()
    auth.login("ADM-1")
    shown = page_figures(
        client.get("/portal/district", query_string={**WEEK, "block": pothia}).text
    )
    assert shown["outcome:unreachable"] == "1" and shown["outcome:completed"] == "0"
    bad = client.get("/portal/district", query_string={"from": "2026-11-15", "to": "2026-11-01"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text


@pytest.mark.usefixtures("district")
def test_charts_are_svg_without_scripts(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ADM-1")
    for name in ("per-day", "per-week", "outcomes", "wait", "offers", "sms", "rosters"):
        response = client.get(f"/portal/district/chart/{name}.svg", query_string=WEEK)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<?xml") and b"<script" not in response.data
    assert client.get("/portal/district/chart/nope.svg").status_code == 404


@pytest.mark.usefixtures("district")
def test_the_report_page_and_its_csv_are_the_same_table(
    runtime: Runtime, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("ADM-1")
    page = client.get("/portal/district/report?month=2026-11")
    assert page.status_code == 200 and "@media print" in page.text
    csv_response = client.get("/portal/district/report.csv?month=2026-11")
    assert csv_response.mimetype == "text/csv"
    assert 'filename="sampark-2026-11.csv"' in csv_response.headers["Content-Disposition"]
    with runtime.db.session() as s:
        assert csv_response.data.decode() == to_csv(monthly_report(s, "2026-11"))
    assert "HWC-003 HWC Pothia" in page.text and ">12<" in page.text  # the district's total


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize("code", ["DR-GM-1", "ANM-001"])
def test_doctors_and_anms_get_403(client: FlaskClient, auth: AuthActions, code: str) -> None:
    auth.login(code)
    for path in PAGES:
        assert client.get(path).status_code == 403, path


@pytest.mark.usefixtures("district")
def test_a_visitor_is_sent_to_log_in(client: FlaskClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/portal/login" in response.headers["Location"]
