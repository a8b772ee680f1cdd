"""The phone in the browser (``/_standin/phone``) in Debian's Chromium, driven by Playwright:
a visitor dials a spoke, plays a whole intake on the keypad (the name and the description
recorded from Chromium's fake microphone) and sees the reference number on the screen; then
stays on the line, and the ANM's phone rings beside hers (issue 17 item 5).

The app is served over HTTP from a thread; the stand-in runs on the real clock and sends
its webhooks to the app over HTTP, as in ``make demo``. The test saves the page's
screenshots at 375 px and 1280 px to ``docs/screenshots/phone-375.png`` and
``phone-1280.png``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from rq import SimpleWorker
from werkzeug.serving import BaseWSGIServer, make_server

from core.runtime import Runtime, install_process_runtime
from ivr.after_commit import settle
from ivr.catalog import catalog
from sampark.app import create_app
from sampark.cli.consultations import consultation_rows
from standin import RealClock, StandIn
from tests.builders import MiniDistrict
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.screenshots import screenshot_dir
from tests.standin_phone.conftest import VISITOR, add_numbers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",  # the microphone is allowed without asking
    "--use-fake-device-for-media-stream",  # and is Chromium's test tone
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = screenshot_dir()  # docs/screenshots with SAMPARK_SCREENSHOTS=1
QUEUES = ("workflow", "calls", "sms", "default")

if not CHROMIUM.exists():  # pragma: no cover - `make test` installs it first
    pytest.fail("/usr/bin/chromium is missing: run `make browser-deps`", pytrace=False)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

#: English (4), consent, for self, [name recorded], age 28#, female, fever, 3# days,
#: no and no to the danger signs, [description recorded].
KEYS = ["4", "1", "1", "28#", "1", "1", "3#", "2", "2"]


@pytest.fixture
def live(runtime: Runtime, mini: MiniDistrict) -> Iterator[tuple[StandIn, Runtime]]:
    """The app over HTTP and the stand-in (real clock) sending it webhooks over HTTP."""
    holder: dict[str, Any] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server: BaseWSGIServer = make_server("127.0.0.1", 0, dispatch, threaded=True)
    url = f"http://127.0.0.1:{server.port}"
    si = StandIn(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, clock=RealClock(), seed=11)
    base = si.start()
    live_runtime = Runtime(
        settings=runtime.settings.with_overrides(public_base_url=url, twilio_api_base_url=base),
        db=runtime.db,
    )
    holder["app"] = create_app(live_runtime.settings, runtime=live_runtime)
    add_numbers(si, mini, url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield si, live_runtime
    finally:
        si.stop()
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="en-IN",
            viewport={"width": 375, "height": 900},
        )
        context.set_default_timeout(30_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]  # type: ignore[index]


def work_until(runtime: Runtime, si: StandIn, number: str, seconds: float) -> None:
    """Run the workflow's jobs (as ``sampark worker`` does) until ``number`` is rung."""
    install_process_runtime(runtime)
    try:
        worker = SimpleWorker([runtime.queue(q) for q in QUEUES], connection=runtime.redis)
        deadline = time.monotonic() + seconds
        while not si.calls_to(number) and time.monotonic() < deadline:
            settle()
            worker.work(burst=True, with_scheduler=True)
            time.sleep(0.5)
    finally:
        install_process_runtime(None)


def test_a_whole_intake_on_the_browser_phone_ends_with_the_reference_number(
    live: tuple[StandIn, Runtime], page: Page, mini: MiniDistrict
) -> None:
    si, runtime = live
    spoke = mini.spoke_numbers["HWC-001"]
    page.goto(
        f"{si.base_url}/_standin/phone?" + urlencode({"record": 2, "from": VISITOR, "to": spoke})
    )
    patient = page.locator("#patient")
    expect(page.locator("#line")).to_have_value(spoke)
    no_sideways_scroll(page)
    patient.get_by_role("button", name="Call", exact=True).click()
    expect(patient.locator("[data-role=status]")).to_contain_text("Connected", timeout=20_000)

    gathers = 0
    for step, keys in enumerate(KEYS):
        if step in (3, 9):  # after "for whom" and the danger signs: a recording first
            expect(patient).to_have_attribute("data-records", str(1 if step == 3 else 2),
                                              timeout=60_000)  # fmt: skip
        gathers += 1
        expect(patient).to_have_attribute("data-gathers", str(gathers), timeout=60_000)
        for key in keys:
            patient.get_by_role("button", name=f"key {key}", exact=True).click()
    expect(patient).to_have_attribute("data-records", "2", timeout=60_000)
    expect(patient).to_have_attribute("data-gathers", str(gathers + 1), timeout=60_000)

    settle()
    with runtime.db.session() as s:
        [row] = consultation_rows(s)
    assert row["state"] == "intake_complete" and row["spoke"] == "HWC-001"
    assert (row["patient"]["age_years"], row["complaint"]) == (28, "fever")
    said = catalog("en").spoken("reference", digits=", ".join(row["reference"]))
    expect(patient.locator(".transcript")).to_contain_text(said)
    assert si.recordings[row["recording_sid"]]["duration"] in ("1", "2", "3")
    no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-375.png"), full_page=True)

    # She stays on the line: the ANM's phone (no script: the browser's) rings beside hers.
    page.set_viewport_size({"width": 1280, "height": 900})
    anm = mini.anms["ANM-001"]
    page.request.put(f"{si.base_url}/_standin/phone/settings",
                     data={"labels": {anm: "ANM Sunita Devi, HWC-001"}})  # fmt: skip
    patient.get_by_role("button", name="key 1", exact=True).click()
    work_until(runtime, si, anm, 30)
    staff_phone = page.get_by_label("Phone ANM Sunita Devi, HWC-001")
    expect(staff_phone.locator("[data-role=status]")).to_contain_text("Incoming call")
    expect(staff_phone.get_by_role("button", name="Answer")).to_be_enabled()
    expect(patient.locator(".transcript")).to_contain_text("Joined the conference")
    expect(staff_phone.locator("[data-role=who]")).to_contain_text("ANM Sunita Devi")
    staff_phone.get_by_role("button", name="Answer").click()
    expect(staff_phone.locator("[data-role=status]")).to_contain_text("Connected")
    expect(staff_phone).to_have_attribute("data-gathers", "1")  # her own prompt, for keys
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "phone-1280.png"), full_page=True)
