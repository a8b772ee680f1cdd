"""The ANM's workspace in Debian's Chromium at 375 px and 1280 px (issue 17, done-when).

The ANM logs in, sees her HWC's list, opens the consultation and the prescription, marks
it dispensed, and gets 403 on a doctor's page; then the doctor logs in and sees
"Dispensed by ...". Nothing scrolls sideways on any page. Screenshots of each of her pages
go to ``docs/screenshots/anm-<page>-<width>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from core.runtime import Runtime
from tests.portal.anm_seed import ANM, AnmSeeded, seed_anm
from tests.portal.test_browser import (  # noqa: F401  (browser_context: a fixture)
    Live,
    browser_context,
    log_in,
    serving,
)
from tests.screenshots import fits, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def live(runtime: Runtime) -> Iterator[tuple[Live, AnmSeeded]]:
    with serving(runtime) as served:
        yield served, seed_anm(runtime, served.seeded)


@pytest.fixture
def tab(browser_context: BrowserContext) -> Page:  # noqa: F811  (the fixture, by name)
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_anm_dispenses_on_her_phone_and_the_doctor_sees_it(
    tab: Page, live: tuple[Live, AnmSeeded], width: int
) -> None:
    served, seeded = live
    page = tab
    page.set_viewport_size(ViewportSize(width=width, height=800))
    log_in(page, served, ANM)
    expect(page.get_by_role("heading", name="My HWC: HWC Belwa")).to_be_visible()
    dispense_list = page.locator("#own-dispense-list")
    expect(dispense_list).to_contain_text(seeded.rx_code)
    expect(dispense_list).to_contain_text("Rani Kumari")
    expect(page.locator("main")).not_to_contain_text("Salma Begum")  # HWC-002's patient
    shot(page, f"anm-home-{width}")

    page.locator("#own-today-list").get_by_role("link", name=seeded.base.reference).click()
    expect(
        page.get_by_role("heading", name=f"Consultation {seeded.base.reference}")
    ).to_be_visible()
    expect(page.locator("#rec-description")).to_be_attached()
    shot(page, f"anm-consultation-{width}")

    page.get_by_role("link", name=seeded.rx_code).click()
    expect(page.locator("#rx-code")).to_have_text(seeded.rx_code)
    shot(page, f"anm-prescription-{width}")
    page.locator("#dispensed").click()
    expect(page.locator("main")).to_contain_text("Dispensed by Sunita Devi at")
    shot(page, f"anm-dispensed-{width}")

    response = page.goto(f"{served.url}/portal/consultations")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("This page is not open to your role.")
    fits(page)

    page.goto(f"{served.url}/portal/anm")
    page.get_by_role("button", name="Log out").click()
    log_in(page, served, "DR-GM-1")
    expect(page.get_by_role("heading", name="Open consultations")).to_be_visible()
    page.goto(f"{served.url}/portal/prescriptions/{seeded.rx_code}")
    expect(page.locator("main")).to_contain_text("Dispensed by Sunita Devi at")
    fits(page)
    response = page.goto(f"{served.url}/portal/anm")
    assert response is not None and response.status == 403
