"""The district dashboard and the monthly report in Debian's Chromium at 375 and 1280 px
(issue 17, done-when): the admin logs in, filters, every chart is drawn, nothing scrolls
sideways; a doctor gets 403. Screenshots go to ``docs/screenshots/district-*-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect
from sqlalchemy import select

from core.runtime import Runtime
from models import Spoke, Staff
from tests.builders import MiniDistrict
from tests.portal.district_rows import build_rows
from tests.portal.test_browser import (  # noqa: F401  (browser_context: a fixture)
    Live,
    browser_context,
    log_in,
    serving,
)
from tests.screenshots import shot

pytestmark = pytest.mark.browser


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    """The portal served, with the November rows and a password for the admin."""
    with serving(runtime) as served:
        with runtime.db.session() as s:
            mini = MiniDistrict(spoke_ids={sp.code: sp.id for sp in s.scalars(select(Spoke))})
            build_rows(s, mini)
            doctor = s.scalars(select(Staff).where(Staff.code == "DR-GM-1")).one()
            admin = s.scalars(select(Staff).where(Staff.code == "ADM-1")).one()
            admin.password_hash = doctor.password_hash
        yield served


@pytest.fixture
def tab(browser_context: BrowserContext) -> Page:  # noqa: F811  (the fixture, by name)
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_admin_reads_the_dashboard_and_the_report(tab: Page, live: Live, width: int) -> None:
    page = tab
    page.set_viewport_size(ViewportSize(width=width, height=800))
    log_in(page, live, "ADM-1")
    expect(page.get_by_role("heading", name="District dashboard")).to_be_visible()
    page.get_by_label("From").fill("2026-11-09")
    page.get_by_label("To").fill("2026-11-15")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-figure="outcome:completed"]')).to_have_text("3")
    charts = page.locator("main img")
    expect(charts).to_have_count(7)
    for i in range(7):  # every chart drawn (an SVG the browser could render)
        charts.nth(i).scroll_into_view_if_needed()
        assert charts.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, f"dashboard-{width}")

    page.goto(f"{live.url}/portal/district/report?month=2026-11")
    expect(page.get_by_role("heading", name="Teleconsultations, 2026-11")).to_be_visible()
    expect(page.locator("main")).to_contain_text("District total")
    shot(page, f"monthly-report-{width}")
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    page.emulate_media(media="screen")


def test_a_doctor_is_refused_the_dashboard(tab: Page, live: Live) -> None:
    log_in(tab, live, "DR-GM-1")
    response = tab.goto(f"{live.url}/portal/district")
    assert response is not None and response.status == 403
    expect(tab.locator("main")).to_contain_text("This page is not open to your role.")
