"""More verbs and phone behaviours: speech Gather, Dial to a number, Reject, a leading Pause,
hanging up at a given step."""

from __future__ import annotations

from flask import Flask

from standin import PhoneScript, StandIn
from tests.standin_engine.conftest import CLINIC, DOCTOR, PATIENT
from tests.standin_engine.helpers import seen, statuses
from tests.standin_engine.twiml_app import BASE


def call_with(si: StandIn, twiml: str) -> str:
    params = {
        "To": PATIENT,
        "From": CLINIC,
        "Twiml": twiml,
        "StatusCallback": f"{BASE}/status",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
    }
    return str(si.engine.create_call(params)["sid"])  # fmt: skip


def echo_url(app: Flask, twiml: str) -> str:
    """A URL on the app that answers ``twiml``."""
    docs = app.config.setdefault("DOCS", [])
    docs.append(twiml)
    return f"{BASE}/echo?doc={len(docs) - 1}"


def test_speech_gather_posts_speech_result(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(speech=["bukhar hai"]))
    call_with(si, f'<Response><Gather input="speech" action="{BASE}/echo"><Say>Bataiye</Say>'
                  "</Gather></Response>")  # fmt: skip
    si.run_until_idle()
    form = seen(twiml_app, "/echo")[0]["form"]
    assert form["SpeechResult"] == "bukhar hai" and float(form["Confidence"]) > 0.5
    assert "Digits" not in form


def test_dial_number_bridges_and_reports_to_the_action(si: StandIn, twiml_app: Flask) -> None:
    si.script(DOCTOR, PhoneScript(answer_after=2, hangup_after=30))
    dial = (
        f'<Dial action="{BASE}/echo" timeout="20" record="record-from-answer" '
        f'recordingStatusCallback="{BASE}/recording-status">'
        f'<Number statusCallback="{BASE}/status">{DOCTOR}</Number></Dial>'
    )
    parent = call_with(si, f"<Response>{dial}</Response>")
    si.run_until_idle()
    form = seen(twiml_app, "/echo")[0]["form"]
    assert form["CallSid"] == parent and form["DialCallStatus"] == "completed"
    assert form["DialCallDuration"] == "30"
    child = si.calls[form["DialCallSid"]]
    assert child["parent_call_sid"] == parent and child["direction"] == "outbound-dial"
    assert statuses(twiml_app, form["DialCallSid"]) == ["completed"]
    assert seen(twiml_app, "/recording-status")[0]["form"]["RecordingDuration"] == "30"


def test_dial_number_without_answer(si: StandIn, twiml_app: Flask) -> None:
    si.script(DOCTOR, PhoneScript(outcome="no-answer"))
    call_with(si, f'<Response><Dial timeout="15">{DOCTOR}</Dial><Say>Nobody answered</Say>'
                  "</Response>")  # fmt: skip
    si.run_until_idle()
    child = next(c for c in si.calls.values() if c["to"] == DOCTOR)
    assert child["status"] == "no-answer"
    verbs = [e["verb"] for e in si.timeline() if e["kind"] == "verb"]
    assert verbs[-1].startswith("<Say>Nobody answered")


def test_reject_leaves_an_inbound_call_unanswered(si: StandIn, twiml_app: Flask) -> None:
    si.add_number(
        CLINIC, voice_url=echo_url(twiml_app, '<Response><Reject reason="busy"/></Response>')
    )
    sid = si.dial_in(PATIENT, CLINIC)
    si.run_until_idle()
    call = si.calls[sid]
    assert call["status"] == "busy" and call["duration"] == "0"


def test_leading_pause_delays_the_answer(si: StandIn, twiml_app: Flask) -> None:
    si.add_number(CLINIC, voice_url=echo_url(twiml_app,
        '<Response><Pause length="4"/><Say>Namaste</Say></Response>'))  # fmt: skip
    sid = si.dial_in(PATIENT, CLINIC)
    si.run_until_idle()
    answered = next(e for e in si.timeline() if e.get("event") == "answered" and e["sid"] == sid)
    assert answered["at"] == 4.0


def test_phone_hangs_up_at_a_step(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(hangup_at_step=2))
    sid = call_with(si, "<Response><Say>one</Say><Say>two</Say><Say>three</Say></Response>")
    si.run_until_idle()
    verbs = [e["verb"] for e in si.timeline() if e["kind"] == "verb"]
    assert verbs == ["<Say>one</Say>"]
    assert statuses(twiml_app, sid)[-1] == "completed"


def test_a_redirect_loop_does_not_spin_the_virtual_clock(si: StandIn, twiml_app: Flask) -> None:
    twiml_app.config["DOCS"] = [f"<Response><Redirect>{BASE}/echo?doc=0</Redirect></Response>"]
    sid = call_with(si, f"<Response><Redirect>{BASE}/echo?doc=0</Redirect></Response>")
    si.run_until_idle()
    assert si.calls[sid]["status"] == "completed"
    assert any("Redirect> loop" in e["error"] for e in si.errors())
