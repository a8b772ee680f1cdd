"""India's rules (standin/regions.py) through twilio-python and the product's gateway.

A stand-in with ``region="IN"`` answers what Twilio documents for India: a +91 caller ID to
a +91 number is refused (400, 21216), only toll-free Indian numbers exist, no SMS reaches us
from an Indian phone, alphanumeric and Indian senders are refused (21612), an international
sender is shown as a random 5NNNN.. number, MMS become SMS with the URL, shortened URLs are
filtered. Without a region nothing changes (the other tests).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, request
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.settings import Settings
from standin import PhoneScript, StandIn, VirtualClock, WsgiTransport
from standin.regions import IN_SMS, IN_VOICE, INDIA
from telephony.errors import PermanentGatewayError
from telephony.gateway import TelephonyGateway

ACCOUNT = "AC" + "9" * 32
TOKEN = "region-in-token"
TOLL_FREE = "+9118001234567"  # Twilio's only kind of Indian number
ABROAD = "+442079460000"  # an international (UK) number of the account
LANDLINE = "+916456222333"  # a spoke's landline: Twilio cannot give an account one
PATIENT = "+919990000001"
DOCTOR = "+919990000002"
APP = "http://app.test"


def _app(seen: list[tuple[str, dict[str, str]]]) -> Flask:
    app = Flask("region-in")

    @app.post("/<path:name>")
    def hook(name: str):  # type: ignore[no-untyped-def]
        seen.append((name, request.form.to_dict()))
        xml = "<Response><Hangup/></Response>"
        if name == "forward":  # the caller's own number as caller ID
            xml = f'<Response><Dial action="/dialled"><Number>{DOCTOR}</Number></Dial></Response>'
        elif name == "forward-abroad":
            xml = (
                f'<Response><Dial action="/dialled" callerId="{ABROAD}">'
                f"<Number>{DOCTOR}</Number></Dial></Response>"
            )
        return xml, 200, {"Content-Type": "text/xml"}

    return app


@pytest.fixture
def seen() -> list[tuple[str, dict[str, str]]]:
    return []


@pytest.fixture
def india(seen: list[tuple[str, dict[str, str]]]) -> Iterator[StandIn]:
    si = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=5,
                 transport=WsgiTransport(_app(seen)), region="IN")  # fmt: skip
    si.add_number(TOLL_FREE, voice_url=f"{APP}/forward", sms_url=f"{APP}/sms")
    si.add_number(ABROAD, voice_url=f"{APP}/voice", sms_url=f"{APP}/sms")
    si.start()
    try:
        yield si
    finally:
        si.stop()


def _client(si: StandIn) -> Client:
    client = Client(ACCOUNT, TOKEN)
    client.api.base_url = str(si.base_url)
    return client


def _refused(exc: pytest.ExceptionInfo[TwilioRestException], status: int, code: int) -> str:
    assert (exc.value.status, exc.value.code) == (status, code)
    return str(exc.value.msg).removeprefix("Unable to create record: ")


def _rules(si: StandIn) -> list[str]:
    return [e["rule"] for e in si.timeline() if e["kind"] == "region"]


# -- voice ------------------------------------------------------------------------------
def test_a_call_to_india_from_an_indian_caller_id_is_refused(india: StandIn):
    with pytest.raises(TwilioRestException) as exc:
        _client(india).calls.create(to=PATIENT, from_=TOLL_FREE, url=f"{APP}/voice")
    assert _refused(exc, 400, 21216) == f"Account not allowed to call {PATIENT}"
    assert not india.calls_to(PATIENT)  # nothing was created
    raw = requests.post(f"{india.base_url}/2010-04-01/Accounts/{ACCOUNT}/Calls.json",
                        data={"To": PATIENT, "From": TOLL_FREE, "Url": f"{APP}/voice"},
                        auth=(ACCOUNT, TOKEN), timeout=5)  # fmt: skip
    assert raw.status_code == 400 and raw.json() == {
        "code": 21216,
        "message": f"Account not allowed to call {PATIENT}",
        "more_info": "https://www.twilio.com/docs/errors/21216",
        "status": 400,
    }
    note = next(e for e in india.timeline() if e["kind"] == "region")
    assert (note["rule"], note["source"], note["error_code"]) == ("caller-id", IN_VOICE, 21216)


def test_a_call_to_india_from_an_international_caller_id_goes_through(india: StandIn):
    india.script(PATIENT, PhoneScript(answer_after=2))
    call = _client(india).calls.create(to=PATIENT, from_=ABROAD, url=f"{APP}/voice")
    india.run_until_idle()
    assert _client(india).calls(call.sid).fetch().status == "completed"
    assert _rules(india) == []


def test_a_conference_participant_with_an_indian_caller_id_is_refused(india: StandIn):
    room = _client(india).conferences("CONS-1")
    with pytest.raises(TwilioRestException) as exc:
        room.participants.create(from_=TOLL_FREE, to=DOCTOR)
    _refused(exc, 400, 21216)
    assert india.conference_named("CONS-1") is None
    assert room.participants.create(from_=ABROAD, to=DOCTOR).call_sid.startswith("CA")


def test_indian_toll_free_numbers_cannot_be_called(india: StandIn):
    with pytest.raises(TwilioRestException) as exc:
        _client(india).calls.create(to="+9118009998888", from_=ABROAD, url=f"{APP}/voice")
    _refused(exc, 400, 21216)
    assert _rules(india) == ["toll-free-outbound"]


def test_twilio_has_no_indian_landline_or_mobile_numbers(india: StandIn):
    with pytest.raises(ValueError, match="Twilio has no such number"):
        india.add_number(LANDLINE, voice_url=f"{APP}/voice")
    refused = requests.post(f"{india.base_url}/_standin/numbers",
                            json={"number": PATIENT}, timeout=5)  # fmt: skip
    assert refused.status_code == 400 and "Twilio has no such number" in refused.json()["error"]
    # a spoke's landline as From is then a number the account does not have
    with pytest.raises(TwilioRestException) as exc:
        _client(india).calls.create(to=ABROAD, from_=LANDLINE, url=f"{APP}/voice")
    _refused(exc, 400, 21210)
    assert _rules(india) == ["numbers", "numbers", "numbers"]


def test_dial_with_the_indian_callers_number_places_no_leg(india: StandIn, seen):
    sid = india.dial_in(from_=PATIENT, to=TOLL_FREE)
    india.run_until_idle()
    assert not india.calls_to(DOCTOR)
    dialled = [form for name, form in seen if name == "dialled"]
    assert dialled and dialled[0]["DialCallStatus"] == "failed"
    assert "DialCallSid" not in dialled[0]
    assert [e["error_code"] for e in india.errors()] == [32224]
    assert india.calls[sid]["status"] == "completed"


def test_dial_with_an_international_caller_id_reaches_the_doctor(india: StandIn, seen):
    india.engine.update_incoming_phone_number(
        india.engine.numbers[TOLL_FREE].sid, {"VoiceUrl": f"{APP}/forward-abroad"}
    )
    india.script(DOCTOR, PhoneScript(answer_after=1, hangup_after=5))
    india.dial_in(from_=PATIENT, to=TOLL_FREE)
    india.run_until_idle()
    (leg,) = india.calls_to(DOCTOR)
    assert leg["from"] == ABROAD and leg["status"] == "completed"


def test_an_indian_toll_free_number_is_reached_from_india_only(india: StandIn):
    with pytest.raises(ValueError, match="cannot reach"):
        india.dial_in(from_="+14155550123", to=TOLL_FREE)
    assert _rules(india) == ["toll-free-inbound"]


# -- SMS --------------------------------------------------------------------------------
def test_an_alphanumeric_sender_to_india_is_refused(india: StandIn):
    with pytest.raises(TwilioRestException) as exc:
        _client(india).messages.create(to=PATIENT, from_="SMPARK", body="Your code is 1234")
    message = _refused(exc, 400, 21612)
    assert message == (
        f"The 'To' phone number: {PATIENT}, is not currently reachable using the 'From' "
        "phone number: SMPARK via SMS."
    )
    assert not india.messages
    note = next(e for e in india.timeline() if e["kind"] == "region")
    assert (note["rule"], note["source"]) == ("alphanumeric", INDIA.rules["alphanumeric"].source)
    assert IN_SMS in note["source"]


def test_an_indian_sender_to_india_is_refused(india: StandIn):
    with pytest.raises(TwilioRestException) as exc:
        _client(india).messages.create(to=PATIENT, from_=TOLL_FREE, body="hello")
    _refused(exc, 400, 21612)


def test_an_international_sender_is_shown_as_a_random_short_number(india: StandIn):
    sent = _client(india).messages.create(to=PATIENT, from_=ABROAD, body="RX AB12 ready")
    india.run_until_idle()
    fetched = _client(india).messages(sent.sid).fetch()
    assert fetched.status == "delivered" and fetched.from_ == ABROAD  # the API keeps our From
    (item,) = india.inbox(PATIENT)
    assert re.fullmatch(r"5\d{4,8}", item["from"]), item  # 5NNNN .. 5NNNNNNNN
    assert item["body"] == "RX AB12 ready"


def test_no_sms_reaches_us_from_an_indian_phone(india: StandIn, seen):
    assert india.send_sms_from(PATIENT, ABROAD, "RX AB12") == ""
    assert india.send_sms_from(PATIENT, TOLL_FREE, "RX AB12") == ""
    india.run_until_idle()
    assert not india.messages and not [name for name, _ in seen if name == "sms"]
    assert _rules(india) == ["two-way-sms", "two-way-sms"]


def test_mms_to_india_is_an_sms_with_the_url(india: StandIn):
    url = "https://example.org/rx/AB12.png"
    sent = _client(india).messages.create(to=PATIENT, from_=ABROAD, body="Your slip",
                                          media_url=[url])  # fmt: skip
    assert sent.num_media == "0" and sent.body == f"Your slip\n{url}"


def test_a_shortened_url_to_india_is_filtered(india: StandIn):
    sent = _client(india).messages.create(to=PATIENT, from_=ABROAD, body="See bit.ly/abc123")
    india.run_until_idle()
    fetched = _client(india).messages(sent.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30007)
    assert india.inbox(PATIENT) == []


def test_sms_to_an_indian_landline_is_refused_with_21614(india: StandIn):
    with pytest.raises(TwilioRestException) as exc:
        _client(india).messages.create(to=LANDLINE, from_=ABROAD, body="hello")
    _refused(exc, 400, 21614)


# -- the product's gateway, the control API, no region ----------------------------------
def test_the_gateway_sees_the_refusals_as_permanent(india: StandIn):
    settings = Settings.from_env({"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
                                  "TWILIO_API_BASE_URL": india.base_url})  # fmt: skip
    gateway = TelephonyGateway(settings)
    with pytest.raises(PermanentGatewayError) as call:
        gateway.place_call(to=PATIENT, from_=TOLL_FREE, url=f"{APP}/voice",
                           status_callback=f"{APP}/status")  # fmt: skip
    with pytest.raises(PermanentGatewayError) as sms:
        gateway.send_sms(to=PATIENT, from_="SMPARK", body="hi", status_callback=None)
    assert "21216" in str(call.value) and "21612" in str(sms.value)


def test_the_control_api_lists_the_rules_with_their_sources(india: StandIn):
    got = requests.get(f"{india.base_url}/_standin/region", timeout=5).json()["region"]
    assert got["code"] == "IN"
    rules = {r["key"]: r for r in got["rules"]}
    assert {"caller-id", "numbers", "two-way-sms", "alphanumeric"} <= set(rules)
    assert all(r["source"].startswith("https://www.twilio.com/") for r in rules.values())


def test_without_a_region_the_stand_in_is_as_before(seen):
    si = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=5,
                 transport=WsgiTransport(_app(seen)))  # fmt: skip
    si.add_number(LANDLINE, voice_url=f"{APP}/voice", sms_url=f"{APP}/sms")
    si.engine.create_call({"To": PATIENT, "From": LANDLINE, "Url": f"{APP}/voice"})
    si.engine.create_message({"To": PATIENT, "From": "SMPARK", "Body": "hi"})
    assert si.send_sms_from(PATIENT, LANDLINE, "RX AB12").startswith("SM")
    si.run_until_idle()
    assert si.inbox(PATIENT)[0]["from"] == "SMPARK" and si.region is None
    assert [e for e in si.timeline() if e["kind"] == "region"] == []


def test_sampark_standin_region_in():
    """``sampark standin --region IN``: India's rules, a landline left off the account."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    argv = [sys.executable, "-c", "from sampark.cli import main; main()", "standin",
            "--port", str(port), "--virtual", "--region", "in",
            "--number", LANDLINE, "--number", TOLL_FREE]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                region = requests.get(f"{base}/_standin/region", timeout=2).json()["region"]
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        numbers = requests.get(f"{base}/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json",
                               auth=(ACCOUNT, TOKEN), timeout=5).json()  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out
    assert region["code"] == "IN" and "India's rules" in out
    assert [n["phone_number"] for n in numbers["incoming_phone_numbers"]] == [TOLL_FREE]
    assert f"not on the account: {LANDLINE}: Twilio has no such number" in out
