"""The doctor's workspace in a real browser: Debian's Chromium driven by Playwright.

The app is served over HTTP from a thread (werkzeug) on the test's PostgreSQL
database. ``make test`` installs Chromium first (``make browser-deps``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from core.runtime import Runtime
from models import Prescription, SmsMessage
from sampark.app import create_app
from tests.portal.conftest import PASSWORD, STRANGER, Seeded, seed_portal
from tests.portal.delivery import deliver_through_standin

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():  # pragma: no cover - `make test` installs it first
    pytest.fail(
        "/usr/bin/chromium is missing: run `make browser-deps` (as root: apt-get install -y "
        "chromium)",
        pytrace=False,
    )

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright  # noqa: E402


@dataclass
class Live:
    """The app served over HTTP, and what it was seeded with."""

    url: str
    app: Flask
    runtime: Runtime
    seeded: Seeded


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    """The app on a free port; its public URL is that address (so webhooks verify)."""
    holder: dict[str, Any] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server: BaseWSGIServer = make_server("127.0.0.1", 0, dispatch, threaded=True)
    url = f"http://127.0.0.1:{server.port}"
    live_runtime = Runtime(
        settings=runtime.settings.with_overrides(public_base_url=url), db=runtime.db
    )
    holder["app"] = create_app(live_runtime.settings, runtime=live_runtime)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(url, holder["app"], live_runtime, seed_portal(runtime))
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile directory."""
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="en-IN",
            viewport={"width": 360, "height": 640},  # a small phone
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


def log_in(page: Page, live: Live, identifier: str, password: str = PASSWORD) -> None:
    page.goto(f"{live.url}/portal/login")
    page.get_by_label("Mobile number or staff code").fill(identifier)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_doctor_issues_a_prescription_and_sees_it_delivered(page: Page, live: Live) -> None:
    log_in(page, live, "DR-GM-1")
    expect(page.get_by_role("heading", name="Open consultations")).to_be_visible()
    page.get_by_role("link", name=live.seeded.reference).click()
    expect(
        page.get_by_role("heading", name=f"Consultation {live.seeded.reference}")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rani Kumari")
    expect(page.locator("main")).to_contain_text("Fever")
    expect(page.locator("audio")).to_have_attribute("preload", "none")

    # A prohibited medicine is refused, with the reason.
    page.get_by_label("Provisional diagnosis").fill("Viral fever")
    page.get_by_label("Medicine 1").select_option("morphine|10 mg")
    page.get_by_role("button", name="Issue prescription").click()
    expect(page.locator("#problems")).to_contain_text(
        "Morphine is prohibited in telemedicine (NDPS narcotic)"
    )
    expect(page.locator("#why0")).to_contain_text("can never be prescribed by phone or video")
    expect(page.get_by_label("Provisional diagnosis")).to_have_value("Viral fever")

    # A List O medicine is issued.
    page.get_by_label("Medicine 1").select_option("paracetamol_tab|500 mg")
    page.get_by_label("Advice").fill("Plenty of fluids; rest")
    page.get_by_role("button", name="Issue prescription").click()
    expect(page).to_have_url(re.compile(r"/portal/prescriptions/[A-Z0-9]{6}(#rx)?$"))
    code = page.locator("#rx-code").inner_text()
    main = page.locator("main")
    for text in (
        "Dr. Anil Prasad",
        "MBBS, MD",
        "BMC-40001",
        "Sadar Hospital Kishanganj",
        "Rani Kumari, 34y, female",
        live.seeded.reference,
        "Paracetamol 500 mg tablet",
    ):
        expect(main).to_contain_text(text)
    statuses = page.locator("#sms .sms-status")
    expect(statuses).to_have_count(2)  # the patient's and the ANM's

    sent = deliver_through_standin(live.runtime)
    assert len(sent) == 2 and {m["status"] for m in sent} == {"delivered"}, sent
    page.reload()
    for i in range(statuses.count()):
        expect(statuses.nth(i)).to_contain_text("delivered")
    with live.runtime.db.session() as s:
        rx = s.scalars(select(Prescription).where(Prescription.code == code)).one()
        rows = s.scalars(select(SmsMessage).where(SmsMessage.prescription_id == rx.id)).all()
        assert {m.status for m in rows} == {"delivered"}
        assert {m.provider_sid for m in rows} == {m["sid"] for m in sent}


def test_another_doctor_cannot_open_the_consultation(page: Page, live: Live) -> None:
    log_in(page, live, STRANGER)
    expect(page.get_by_role("heading", name="Open consultations")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(live.seeded.reference)
    response = page.goto(f"{live.url}/portal/consultations/{live.seeded.consultation_id}")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("This consultation is not assigned to you.")
    expect(page.locator("main")).not_to_contain_text("Rani Kumari")


def test_wrong_passwords_lock_the_account(page: Page, live: Live) -> None:
    for attempt in range(1, 6):
        log_in(page, live, "DR-GM-1", f"wrong-password-{attempt}")
        if attempt < 5:
            expect(page.get_by_role("alert")).to_be_visible()
            time.sleep({3: 1.2, 4: 2.2}.get(attempt, 0))  # wait out the slow-down
    expect(page.get_by_role("alert")).to_contain_text("login is locked until")
    log_in(page, live, "DR-GM-1")  # the right password, too late
    expect(page.get_by_role("alert")).to_contain_text("login is locked until")
    expect(page).to_have_url(re.compile(r"/portal/login"))
