"""The engine behind the REST layer, driven by twilio-python with only its base URL changed;
and the real clock."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from twilio.rest import Client

from standin import PhoneScript, RealClock, StandIn, WsgiTransport
from tests.standin_engine.conftest import ACCOUNT, ANM, CLINIC, DOCTOR, PATIENT, TOKEN
from tests.standin_engine.helpers import seen, statuses
from tests.standin_engine.twiml_app import BASE


def client_for(base_url: str) -> Client:
    client = Client(ACCOUNT, TOKEN)
    client.api.base_url = base_url
    return client


def test_twilio_client_places_a_call_adds_a_participant_and_sends_sms(
    si: StandIn, twiml_app: Flask
) -> None:
    base = si.start()
    client = client_for(base)
    si.script(PATIENT, PhoneScript(digits=["1"], record_seconds=4))
    call = client.calls.create(to=PATIENT, from_=CLINIC, url=f"{BASE}/voice",
                               status_callback=f"{BASE}/status",
                               status_callback_event=["initiated", "ringing", "answered",
                                                      "completed"])  # fmt: skip
    assert call.status == "queued" and call.direction == "outbound-api"
    part = client.conferences("room-7").participants.create(
        from_=CLINIC, to=ANM, label="anm", status_callback=f"{BASE}/status"
    )
    message = client.messages.create(to=PATIENT, from_=CLINIC, body="hello",
                                     status_callback=f"{BASE}/sms-status")  # fmt: skip
    si.run_until_idle()

    assert statuses(twiml_app, call.sid) == ["initiated", "ringing", "in-progress", "completed"]
    assert client.calls(call.sid).fetch().status == "completed"
    assert part.call_sid in si.calls and part.label == "anm"
    assert client.messages(message.sid).fetch().status == "delivered"
    recording = client.recordings.list(call_sid=call.sid)[0]
    assert recording.duration == "4"
    assert seen(twiml_app, "/recorded")[0]["form"]["RecordingUrl"].startswith(base)


def test_the_app_calls_the_rest_api_while_handling_a_webhook(si: StandIn, twiml_app: Flask) -> None:
    twiml_app.config.update(API=si.start(), ACCOUNT=ACCOUNT, DOCTOR=DOCTOR)
    si.script(DOCTOR, PhoneScript(answer_after=3, hangup_after=20))
    si.add_number(CLINIC, voice_url=f"{BASE}/call-the-doctor")
    patient = si.dial_in(PATIENT, CLINIC)
    si.run_until_idle()
    labels = [(s["form"]["StatusCallbackEvent"], s["form"].get("ParticipantLabel"))
              for s in seen(twiml_app, "/conference-status")]  # fmt: skip
    assert labels == [
        ("participant-join", "patient"),
        ("participant-join", "doctor"),
        ("participant-leave", "doctor"),
        ("participant-leave", "patient"),
    ]
    assert si.calls[patient]["status"] == "completed"


@pytest.mark.parametrize("workers", [1, 4])
def test_real_clock_runs_events_in_a_thread(twiml_app: Flask, workers: int) -> None:
    si = StandIn(ACCOUNT, TOKEN, clock=RealClock(workers=workers),
                 transport=WsgiTransport(twiml_app))  # fmt: skip
    try:
        si.add_number(CLINIC)
        si.script(PATIENT, PhoneScript(answer_after=0.1))
        twiml = '<Response><Pause length="0.2"/></Response>'
        sids = [si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": twiml})["sid"]
                for _ in range(5)]  # fmt: skip
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
            si.calls[sid]["status"] != "completed" for sid in sids
        ):
            time.sleep(0.05)
        assert [si.calls[sid]["status"] for sid in sids] == ["completed"] * 5
        assert 1.2 <= time.monotonic() - deadline + 5 < 3
    finally:
        si.stop()


def test_webhooks_over_real_http(twiml_app: Flask) -> None:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, twiml_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    si = StandIn(ACCOUNT, TOKEN)  # default transport: HTTP
    try:
        si.add_number(CLINIC)
        si.script(PATIENT, PhoneScript(digits=["1"], record_seconds=3))
        ok = si.engine.create_call({"To": PATIENT, "From": CLINIC, "Url": f"{base}/voice",
                                    "StatusCallback": f"{base}/status"})["sid"]  # fmt: skip
        down = si.engine.create_call({"To": PATIENT, "From": CLINIC,
                                      "Url": "http://127.0.0.1:9/nowhere"})["sid"]  # fmt: skip
        si.run_until_idle()
    finally:
        server.shutdown()
    assert [s["path"] for s in seen(twiml_app)] == [
        "/voice", "/menu", "/recorded", "/goodbye", "/recording-status", "/status"]  # fmt: skip
    assert all(s["valid"] for s in seen(twiml_app))
    assert si.calls[ok]["status"] == "completed"
    failure = si.errors()[0]
    assert failure["error_code"] == 11200 and failure["call_sid"] == down
    assert "connection error" in failure["message"]
