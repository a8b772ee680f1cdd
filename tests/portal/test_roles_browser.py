"""Each role's pages in Debian's Chromium at 375 px and 1280 px (issue 17, done-when).

The ANM, the doctor and the district admin each log in through the real form, open every
page of their header (``portal.nav.NAV``): 200, the header shows exactly those links and
nothing scrolls sideways; then one page of each other role gives the 403 page. The ANM's
first login (a password set by someone else) asks for her own password first.

One browser for the module, one context per width, one login per role. Screenshots:
``docs/screenshots/login-<width>.png``, ``password-<width>.png``,
``consultations-<width>.png`` (the doctor's list) and, at 375 px, the ANM's page in Hindi
and in Urdu (right to left): ``anm-home-hi-375.png``, ``anm-home-ur-375.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import url_for
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright
from sqlalchemy import select

from core.runtime import Runtime
from models import Staff, StaffRole
from portal.nav import NAV
from tests.portal.admin_seed import ADMIN, give_password
from tests.portal.anm_seed import ANM, seed_anm
from tests.portal.conftest import DOCTOR, PASSWORD
from tests.portal.test_browser import CHROMIUM, CHROMIUM_ARGS, Live, log_in, serving
from tests.screenshots import fits, shot

pytestmark = pytest.mark.browser

#: Who logs in for each role, and the heading of the page the login lands on.
ROLES = {
    StaffRole.ANM: (ANM, "My HWC: HWC Belwa"),
    StaffRole.DOCTOR: (DOCTOR, "Open consultations"),
    StaffRole.DISTRICT_ADMIN: (ADMIN, "District dashboard"),
}
NEW_PASSWORD = "Sunita-Belwa-2027"
REFUSED = "This page is not open to your role."


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for every test of the module."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    """The portal served; every role can log in; the ANM's password was set by an admin."""
    with serving(runtime) as served:
        seed_anm(runtime, served.seeded)
        give_password(runtime, ADMIN)
        with runtime.db.session() as s:
            s.scalars(select(Staff).where(Staff.code == ANM)).one().password_must_change = True
        yield served


def paths(live: Live) -> dict[StaffRole, list[str]]:
    """Each role's header pages, as URL paths."""
    with live.app.test_request_context():
        return {role: [url_for(endpoint) for endpoint, _ in NAV[role]] for role in ROLES}


def choose_own_password(page: Page, width: int) -> None:
    """The forced change after a password set by someone else."""
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    shot(page, f"password-{width}")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password (at least 10 characters, letters and digits)").fill(
        NEW_PASSWORD
    )
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("Your password is changed.")


def in_hindi_and_urdu(page: Page, live: Live, path: str) -> None:
    """The ANM's page in Hindi, then in Urdu (right to left), then back in English."""
    for lang, direction in (("hi", "ltr"), ("ur", "rtl")):
        page.goto(f"{live.url}/portal/lang/{lang}?next={path}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        expect(page.locator("main")).to_contain_text("Rani Kumari")
        shot(page, f"anm-home-{lang}-375")
    page.goto(f"{live.url}/portal/lang/en?next={path}")


@pytest.mark.parametrize("width", [375, 1280])
def test_each_role_opens_its_pages_and_is_refused_the_others(
    chromium: Browser, live: Live, width: int
) -> None:
    context = chromium.new_context(viewport=ViewportSize(width=width, height=800), locale="en-IN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    pages = paths(live)
    try:
        page.goto(f"{live.url}/portal/login")
        shot(page, f"login-{width}")
        for role, (code, heading) in ROLES.items():
            log_in(page, live, code, PASSWORD)
            if role is StaffRole.ANM:
                choose_own_password(page, width)
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            header_links = page.locator("header > a:not([lang])")
            expect(header_links).to_have_text([str(label) for _, label in NAV[role]])
            for path in pages[role]:
                response = page.goto(f"{live.url}{path}")
                assert response is not None and response.status == 200, path
                fits(page)
                if role is StaffRole.DOCTOR:
                    expect(page.locator("main")).to_contain_text(live.seeded.reference)
                    shot(page, f"consultations-{width}")
            if role is StaffRole.ANM and width == 375:
                in_hindi_and_urdu(page, live, pages[role][0])
            for other in ROLES.keys() - {role}:
                response = page.goto(f"{live.url}{pages[other][0]}")
                assert response is not None and response.status == 403, (role, other)
                expect(page.locator("main")).to_contain_text(REFUSED)
                fits(page)
            page.get_by_role("button", name="Log out").click()
            expect(page.get_by_role("alert")).to_contain_text("You are logged out.")
    finally:
        context.close()
