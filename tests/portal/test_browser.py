"""The doctor's workspace in a real browser: Debian's Chromium driven by Playwright.

On a 375 px phone: nothing scrolls sideways, the patient's recordings play, and a
prescription is issued during the call (issue 14, items 5 and 6).

The app is served over HTTP from a thread (werkzeug) on the test's PostgreSQL
database. ``make test`` installs Chromium first (``make browser-deps``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from core.runtime import Runtime
from models import AuditEvent, Consultation, ConsultationState, Prescription, SmsMessage
from sampark.app import create_app
from tests.portal.conftest import (
    PASSWORD,
    STRANGER,
    Seeded,
    recordings_standin,
    seed_portal,
    serve_recordings,
)
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


@contextmanager
def serving(runtime: Runtime, **overrides: Any) -> Iterator[Live]:
    """The app on a free port; its public URL is that address (so webhooks verify)."""
    holder: dict[str, Any] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server: BaseWSGIServer = make_server("127.0.0.1", 0, dispatch, threaded=True)
    url = f"http://127.0.0.1:{server.port}"
    live_runtime = Runtime(
        settings=runtime.settings.with_overrides(public_base_url=url, **overrides),
        db=runtime.db,
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
def live(runtime: Runtime) -> Iterator[Live]:
    with serving(runtime) as served:
        yield served


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
    expect(page.locator("audio")).to_have_count(2)  # the name and the description
    expect(page.locator("#rec-description")).to_have_attribute("preload", "none")

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


PHONE = {"width": 375, "height": 740}


@pytest.fixture
def live_media(runtime: Runtime) -> Iterator[Live]:
    """The app served over HTTP, its gateway on a stand-in holding the recordings."""
    standin = recordings_standin(runtime)
    try:
        with serving(runtime, twilio_api_base_url=standin.base_url) as served:
            serve_recordings(runtime, served.seeded, {"name": 3, "description": 12}, standin)
            yield served
    finally:
        standin.stop()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_the_consultation_fits_a_phone_and_its_recordings_play(
    page: Page, live_media: Live
) -> None:
    live = live_media
    page.set_viewport_size(PHONE)
    log_in(page, live, "DR-GM-1")
    no_sideways_scroll(page)
    page.get_by_role("link", name=live.seeded.reference).click()
    expect(
        page.get_by_role("heading", name=f"Consultation {live.seeded.reference}")
    ).to_be_visible()
    no_sideways_scroll(page)
    for kind, seconds in (("name", 3), ("description", 12)):
        audio = page.locator(f"#rec-{kind}")
        expect(audio).to_be_visible()
        with page.expect_response(re.compile(rf"/recordings/{kind}\.wav$")) as answer:
            audio.evaluate("a => { a.muted = true; return a.play(); }")
        response = answer.value
        assert response.status == 200
        assert response.headers["content-type"].startswith("audio/")
        page.wait_for_function("a => a.readyState >= 1", arg=audio.element_handle())
        assert audio.evaluate("a => Math.round(a.duration)") == seconds
    for lang in ("hi", "ur", "bn"):  # longer words, right to left
        page.goto(f"{live.url}/portal/lang/{lang}?next=/portal/consultations/"
                  f"{live.seeded.consultation_id}")  # fmt: skip
        expect(page.locator("html")).to_have_attribute("lang", lang)
        no_sideways_scroll(page)
    with live.runtime.db.session() as s:
        plays = s.scalars(select(AuditEvent).where(AuditEvent.action == "play_recording")).all()
        assert sorted(p.detail["kind"] for p in plays) >= ["description", "name"]


def test_a_prescription_is_issued_during_the_call(page: Page, live: Live) -> None:
    with live.runtime.db.session() as s:
        c = s.get_one(Consultation, live.seeded.consultation_id)
        c.state = ConsultationState.IN_CONFERENCE
    page.set_viewport_size(PHONE)
    log_in(page, live, "DR-GM-1")
    page.get_by_role("link", name=live.seeded.reference).click()
    expect(page.locator("#state")).to_have_text("in the call")
    expect(page.locator("main")).to_contain_text("You can write and issue it during the call")
    page.get_by_label("Provisional diagnosis").fill("Viral fever")
    page.get_by_label("Medicine 1").select_option("paracetamol_tab|500 mg")
    page.get_by_label("Advice").fill("Plenty of fluids; rest")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Issue prescription").click()
    expect(page).to_have_url(re.compile(r"/portal/prescriptions/[A-Z0-9]{6}(#rx)?$"))
    expect(page.locator("#sms .sms-status")).to_have_count(2)  # the patient's and the ANM's
    expect(page.locator("#sms")).to_contain_text("Hindi")
    no_sideways_scroll(page)
    code = page.locator("#rx-code").inner_text()
    with live.runtime.db.session() as s:
        c = s.get_one(Consultation, live.seeded.consultation_id)
        assert c.state is ConsultationState.IN_CONFERENCE  # prescribed when the call ends
        rx = s.scalars(select(Prescription).where(Prescription.code == code)).one()
        sms = s.scalars(select(SmsMessage).where(SmsMessage.prescription_id == rx.id)).all()
        assert len(sms) == 2
