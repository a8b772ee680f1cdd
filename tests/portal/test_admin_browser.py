"""Staff administration in Debian's Chromium at 375 px and 1280 px (issue 17, done-when).

The district admin logs in, filters the staff list, adds a doctor (a landline refused next
to the field first), resets the new doctor's password, and the doctor's first login with
it asks for a password of her own. Nothing scrolls sideways on any page; screenshots of
each page go to ``docs/screenshots/admin-<page>-<width>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from core.runtime import Runtime
from tests.portal.admin_seed import ADMIN, give_password
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
    with serving(runtime) as served:
        give_password(runtime, ADMIN)
        yield served


@pytest.fixture
def tab(browser_context: BrowserContext) -> Page:  # noqa: F811  (the fixture, by name)
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_admin_adds_a_doctor_and_resets_her_password(tab: Page, live: Live, width: int) -> None:
    page = tab
    page.set_viewport_size(ViewportSize(width=width, height=800))
    log_in(page, live, ADMIN)
    page.goto(f"{live.url}/portal/admin/staff")
    expect(page.get_by_role("heading", name="Staff")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Sunita Devi")
    shot(page, f"admin-staff-{width}")
    page.locator("#f-role").select_option("doctor")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("Dr. Anil Prasad")
    expect(page.locator("main")).not_to_contain_text("Sunita Devi")

    page.get_by_role("link", name="Add a staff member").click()
    shot(page, f"admin-add-role-{width}")
    page.get_by_role("link", name="Doctor", exact=True).click()
    expect(page.get_by_role("heading", name="Add a staff member: Doctor")).to_be_visible()
    page.locator("#code").fill("DR-GM-8")
    page.locator("#name").fill("Dr. Sabina Yasmin")
    page.locator("#mobile").fill("06456-222333")  # a landline: refused
    page.get_by_label("Hindi").check()
    page.locator("input[name=languages][value=bn]").check()
    page.locator("#hub").select_option("H-MC")
    page.locator("#specialty").select_option("general_medicine")
    page.locator("#qualification").fill("MBBS")
    page.locator("#registration_number").fill("BMC-66008")
    page.locator("#roster_days_0").fill("mon-fri")
    page.locator("#roster_hours_0").fill("20:00-08:00")
    shot(page, f"admin-add-form-{width}")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#mobile-problem")).to_contain_text("staff need a mobile")
    expect(page.locator("#name")).to_have_value("Dr. Sabina Yasmin")  # kept as typed
    shot(page, f"admin-add-problems-{width}")
    page.locator("#mobile").fill("+91 99990 77008")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Dr. Sabina Yasmin is added.")
    expect(page.locator("#roster_hours_0")).to_have_value("20:00-08:00")
    shot(page, f"admin-edit-{width}")

    page.get_by_role("link", name="Reset the password").click()
    shot(page, f"admin-password-{width}")
    page.get_by_role("button", name="Reset the password").click()
    temporary = page.locator("#temporary-password").inner_text().strip()
    assert len(temporary) == 14
    shot(page, f"admin-password-done-{width}")

    page.get_by_role("button", name="Log out").click()
    log_in(page, live, "DR-GM-8", temporary)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    response = page.goto(f"{live.url}/portal/admin/staff")
    assert response is not None
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
