"""Every request India's rules refuse is counted by rule (``StandIn.region_refusals``,
``GET /_standin/region``), so a run can prove it made none; rules that only transform a
request (an MMS sent as SMS, a sender shown rewritten) are not refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from standin import PhoneScript, StandIn, VirtualClock, WsgiTransport
from standin.errors import TwilioApiError

ACCOUNT = "AC" + "8" * 32
TOKEN = "refusals-token"
TOLL_FREE = "+9118001234567"
ABROAD = "+12025550143"
LANDLINE = "+916456222333"
PATIENT = "+919990000001"
DOCTOR = "+919990000002"
APP = "http://app.test"


def _app() -> Flask:
    app = Flask("refusals")

    @app.post("/forward")
    def forward() -> tuple[str, int, dict[str, str]]:
        xml = f'<Response><Dial action="/done"><Number>{DOCTOR}</Number></Dial></Response>'
        return xml, 200, {"Content-Type": "text/xml"}

    @app.post("/<path:name>")
    def other(name: str) -> tuple[str, int, dict[str, str]]:
        return "<Response><Hangup/></Response>", 200, {"Content-Type": "text/xml"}

    return app


@pytest.fixture
def india() -> Iterator[StandIn]:
    si = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=3,
                 transport=WsgiTransport(_app()), region="IN")  # fmt: skip
    si.add_number(TOLL_FREE, voice_url=f"{APP}/forward", sms_url=f"{APP}/sms")
    si.add_number(ABROAD, voice_url=f"{APP}/voice", sms_url=f"{APP}/sms")
    si.start()
    try:
        yield si
    finally:
        si.stop()


def _refused(code: int, request: dict[str, str], create: Callable[[Any], Any]) -> None:
    with pytest.raises(TwilioApiError) as exc:
        create(request)
    assert exc.value.code == code


def test_each_refusal_is_counted_under_its_rule(india: StandIn) -> None:
    engine = india.engine
    assert india.region_refusals() == {}
    _refused(21216, {"To": PATIENT, "From": TOLL_FREE, "Url": f"{APP}/v"}, engine.create_call)
    _refused(21216, {"To": TOLL_FREE, "From": ABROAD, "Url": f"{APP}/v"}, engine.create_call)
    _refused(21210, {"To": PATIENT, "From": LANDLINE, "Url": f"{APP}/v"}, engine.create_call)
    _refused(21612, {"To": PATIENT, "From": "SMPARK", "Body": "hi"}, engine.create_message)
    _refused(21612, {"To": PATIENT, "From": TOLL_FREE, "Body": "hi"}, engine.create_message)
    with pytest.raises(ValueError):
        india.add_number(LANDLINE, voice_url=f"{APP}/voice")
    with pytest.raises(ValueError):
        india.dial_in(from_="+14155550123", to=TOLL_FREE)
    assert india.send_sms_from(PATIENT, ABROAD, "RX AB12") == ""
    engine.create_message({"To": PATIENT, "From": ABROAD, "Body": "See bit.ly/abc"})
    india.script(PATIENT, PhoneScript(answer_after=1, hangup_after=30))
    india.dial_in(from_=PATIENT, to=TOLL_FREE)  # <Dial> with the caller's +91 number: 32224
    india.run_until_idle()
    expected = {
        "caller-id": 2,  # the API's 21216 and the <Dial>'s 32224
        "toll-free-outbound": 1,
        "numbers": 2,  # a landline as From (21210), a landline given to the account
        "alphanumeric": 1,
        "sender": 1,
        "toll-free-inbound": 1,
        "two-way-sms": 1,
        "shortened-url": 1,
    }
    assert india.region_refusals() == expected
    listed = requests.get(f"{india.base_url}/_standin/region", timeout=5).json()
    assert listed["refused"] == expected and listed["region"]["code"] == "IN"
    notes = [e for e in india.timeline() if e["kind"] == "region"]
    assert sum(e["refused"] for e in notes) == sum(expected.values())


def test_what_goes_through_is_not_counted(india: StandIn) -> None:
    india.script(PATIENT, PhoneScript(answer_after=1, hangup_after=5))
    india.engine.create_call({"To": PATIENT, "From": ABROAD, "Url": f"{APP}/v"})
    india.engine.create_message({"To": PATIENT, "From": ABROAD, "Body": "RX AB12 ready"})
    india.engine.create_message(
        {"To": PATIENT, "From": ABROAD, "Body": "slip", "MediaUrl": "https://example.org/a.png"}
    )
    india.dial_in(from_=PATIENT, to=TOLL_FREE)
    india.run_until_idle()
    assert india.region_refusals() == {"caller-id": 1}  # only the <Dial> from +91
    mms = [e for e in india.timeline() if e["kind"] == "region" and e["rule"] == "mms"]
    assert len(mms) == 1 and mms[0]["refused"] is False


def test_without_a_region_nothing_is_counted() -> None:
    si = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), transport=WsgiTransport(_app()))
    si.add_number(LANDLINE, voice_url=f"{APP}/voice")
    si.engine.create_message({"To": PATIENT, "From": "SMPARK", "Body": "hi"})
    assert si.region_refusals() == {}
