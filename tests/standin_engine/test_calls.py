"""Calls through the engine: Gather (digits and no input), Record, Redirect, status callbacks,
signatures, failures of the application's TwiML."""

from __future__ import annotations

import pytest
from flask import Flask

from standin import PhoneScript, StandIn
from standin.errors import TwilioApiError
from tests.standin_engine.conftest import CLINIC, PATIENT
from tests.standin_engine.helpers import seen, statuses
from tests.standin_engine.twiml_app import BASE

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def place(si: StandIn, url: str = f"{BASE}/voice", **extra: object) -> str:
    params = {"To": PATIENT, "From": CLINIC, "Url": url, "StatusCallback": f"{BASE}/status",
              "StatusCallbackEvent": ALL_EVENTS, **extra}  # fmt: skip
    return str(si.engine.create_call(params)["sid"])


def test_gather_digits_record_redirect_and_every_callback_signed(
    si: StandIn, twiml_app: Flask
) -> None:
    si.script(PATIENT, PhoneScript(answer_after=2, digits=["1"], record_seconds=7))
    sid = place(si)
    assert si.calls[sid]["status"] == "queued"

    si.run_until_idle()

    paths = [s["path"] for s in seen(twiml_app)]
    assert paths == ["/status", "/status", "/status", "/voice", "/menu", "/recorded",
                     "/goodbye", "/recording-status", "/status"]  # fmt: skip
    assert all(s["valid"] for s in seen(twiml_app))
    assert statuses(twiml_app, sid) == ["initiated", "ringing", "in-progress", "completed"]
    callbacks = seen(twiml_app, "/status")
    assert [c["form"]["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
    assert {c["form"]["CallbackSource"] for c in callbacks} == {"call-progress-events"}
    menu = seen(twiml_app, "/menu")[0]["form"]
    assert menu["Digits"] == "1" and menu["CallStatus"] == "in-progress"
    assert menu["Direction"] == "outbound-api" and menu["ApiVersion"] == "2010-04-01"
    assert menu["Caller"] == CLINIC and menu["Called"] == PATIENT
    recorded = seen(twiml_app, "/recorded")[0]["form"]
    assert recorded["RecordingDuration"] == "7"
    assert recorded["RecordingUrl"].endswith(recorded["RecordingSid"])
    rec_cb = seen(twiml_app, "/recording-status")[0]["form"]
    assert rec_cb["RecordingStatus"] == "completed" and rec_cb["RecordingSid"] == recorded[
        "RecordingSid"]  # fmt: skip
    completed = callbacks[-1]["form"]
    call = si.calls[sid]
    assert call["status"] == "completed"
    assert completed["CallDuration"] == call["duration"] and int(call["duration"]) > 10
    assert si.recordings[recorded["RecordingSid"]]["duration"] == "7"


def test_gather_without_input_falls_through_to_the_next_verb(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(digits=[None], record_seconds="silence"))
    sid = place(si)
    si.run_until_idle()

    paths = [s["path"] for s in seen(twiml_app) if s["path"] != "/status"]
    # no /menu: the Gather timed out, "We did not get your choice", <Redirect> to /record;
    # an empty recording makes no action request: the call goes on to the next verb.
    assert paths == ["/voice", "/record"]
    verbs = [e["verb"] for e in si.timeline() if e["kind"] == "verb" and e["sid"] == sid]
    assert verbs[1].startswith("<Say>We did not get your choice")
    assert verbs[-2].startswith("<Say>We did not hear anything")
    assert si.calls[sid]["status"] == "completed"


def test_a_45_second_gather_timeout_costs_no_wall_time(si: StandIn, twiml_app: Flask) -> None:
    import time

    si.script(PATIENT, PhoneScript(digits=[None]))
    sid = place(si, url=f"{BASE}/voice?timeout=45")
    t0 = time.perf_counter()
    si.run_until_idle()
    wall = time.perf_counter() - t0

    fell_through = next(e for e in si.timeline() if e["kind"] == "gather" and e["sid"] == sid)
    answered = next(e for e in si.timeline() if e.get("event") == "answered")
    assert fell_through["at"] - answered["at"] >= 45
    assert wall < 1.0


def test_keys_pressed_by_hand_on_an_inbound_call(si: StandIn, twiml_app: Flask) -> None:
    sid = si.dial_in(from_=PATIENT, to=CLINIC)
    si.advance(2)
    si.press(sid, "1")  # during the Gather
    si.advance(30)
    si.hangup(sid)
    si.run_until_idle()

    voice = seen(twiml_app, "/voice")[0]["form"]
    assert voice["Direction"] == "inbound" and voice["CallStatus"] == "ringing"
    assert voice["From"] == PATIENT and voice["To"] == CLINIC
    assert seen(twiml_app, "/menu")[0]["form"]["Digits"] == "1"
    # the number's StatusCallback hears the end of the call
    end = seen(twiml_app, "/status")[-1]["form"]
    assert end["CallSid"] == sid and end["CallStatus"] == "completed"


def test_invalid_twiml_ends_the_call_with_12100(si: StandIn, twiml_app: Flask) -> None:
    sid = place(si, url=f"{BASE}/broken")
    si.run_until_idle()

    errors = [e for e in si.timeline() if e["kind"] == "debugger"]
    assert [e["error_code"] for e in errors] == [12100]
    assert errors[0]["call_sid"] == sid
    verbs = [e["verb"] for e in si.timeline() if e["kind"] == "verb"]
    assert "application error" in verbs[0]
    assert si.calls[sid]["status"] == "completed"


def test_unknown_verb_is_a_12200_warning_and_skipped(si: StandIn, twiml_app: Flask) -> None:
    twiml_app.config["BROKEN"] = "<Response><Dance/><Say>still here</Say></Response>"
    place(si, url=f"{BASE}/broken")
    si.run_until_idle()
    assert [(e["error_code"], e["level"]) for e in si.errors()] == [(12200, "WARNING")]
    assert any("still here" in e["verb"] for e in si.timeline() if e["kind"] == "verb")


def test_http_failure_is_11200(si: StandIn, twiml_app: Flask) -> None:
    sid = place(si, url=f"{BASE}/fails")
    si.run_until_idle()
    assert [e["error_code"] for e in si.errors()] == [11200]
    hook = si.webhooks(purpose="twiml", subject=sid)[0]
    assert hook["status"] == 500 and hook["response"] == "boom"
    assert si.calls[sid]["status"] == "completed"


@pytest.mark.parametrize(
    ("script", "final"),
    [
        (PhoneScript(outcome="busy"), ["initiated", "busy"]),
        (PhoneScript(outcome="failed"), ["initiated", "failed"]),
        (PhoneScript(outcome="no-answer"), ["initiated", "ringing", "no-answer"]),
        (PhoneScript(answer_after=40), ["initiated", "ringing", "no-answer"]),
    ],
)
def test_unanswered_calls_end_with_twilio_statuses(
    si: StandIn, twiml_app: Flask, script: PhoneScript, final: list[str]
) -> None:
    si.script(PATIENT, script)
    sid = place(si, Timeout=30)
    si.run_until_idle()
    assert statuses(twiml_app, sid) == final
    assert si.calls[sid]["status"] == final[-1]
    assert not seen(twiml_app, "/voice")


def test_answering_machine_detection(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(outcome="machine"))
    place(si, MachineDetection="Enable")
    si.run_until_idle()
    assert seen(twiml_app, "/voice")[0]["form"]["AnsweredBy"] == "machine_start"


def test_redirect_and_hang_up_through_the_api(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(digits=[None]))
    sid = place(si)
    si.advance(6)  # answered, in the Gather
    si.engine.update_call(sid, {"Url": f"{BASE}/goodbye"})
    si.run_until_idle()
    assert [s["path"] for s in seen(twiml_app) if s["path"] != "/status"] == ["/voice", "/goodbye"]
    with pytest.raises(TwilioApiError) as err:
        si.engine.update_call(sid, {"Status": "completed"})
    assert (err.value.status, err.value.code) == (400, 21220)


def test_cancel_a_ringing_call(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(outcome="manual"))
    sid = place(si)
    si.advance(5)
    si.engine.update_call(sid, {"Status": "canceled"})
    si.run_until_idle()
    assert statuses(twiml_app, sid) == ["initiated", "ringing", "canceled"]


def test_manual_answer(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(outcome="manual", digits=["9"]))
    sid = place(si)
    si.advance(20)
    assert si.calls[sid]["status"] == "ringing"
    si.answer(sid)
    si.run_until_idle()
    assert statuses(twiml_app, sid)[-2:] == ["in-progress", "completed"]


def test_rest_errors(si: StandIn) -> None:
    cases = [
        ({"To": "12345", "From": CLINIC, "Url": f"{BASE}/voice"}, 21211),
        ({"To": PATIENT, "From": "+919000000001", "Url": f"{BASE}/voice"}, 21210),
    ]
    for params, code in cases:
        with pytest.raises(TwilioApiError) as err:
            si.engine.create_call(params)
        assert err.value.code == code and err.value.status == 400
    with pytest.raises(TwilioApiError) as err:
        si.engine.fetch_call("CA" + "0" * 32)
    assert (err.value.status, err.value.code) == (404, 20404)


def test_timeline_is_json_and_tells_the_story(si: StandIn, twiml_app: Flask) -> None:
    import json

    si.script(PATIENT, PhoneScript(digits=["1"], record_seconds=3))
    sid = place(si)
    si.run_until_idle()
    json.dumps(si.timeline())
    story = si.story(sid)
    assert "gather-action POST http://clinic.test/menu CallStatus=in-progress Digits=1" in story
    assert "<Record" in story


def test_get_callbacks_are_signed_over_the_query(si: StandIn, twiml_app: Flask) -> None:
    twiml_app.add_url_rule("/status-get", "status-get", lambda: ("", 204), methods=["GET"])
    twiml_app.add_url_rule("/voice-get", "voice-get", lambda: "<Response><Say>hi</Say></Response>",
                           methods=["GET"])  # fmt: skip
    si.engine.create_call({"To": PATIENT, "From": CLINIC, "Url": f"{BASE}/voice-get",
                           "Method": "GET", "StatusCallback": f"{BASE}/status-get?x=1",
                           "StatusCallbackMethod": "GET"})  # fmt: skip
    si.run_until_idle()
    got = seen(twiml_app, "/status-get") + seen(twiml_app, "/voice-get")
    assert [(s["path"], s["valid"]) for s in got] == [("/status-get", True), ("/voice-get", True)]
    assert got[0]["args"]["CallStatus"] == "completed" and got[0]["args"]["x"] == "1"


def test_fallback_url_after_a_failure(si: StandIn, twiml_app: Flask) -> None:
    si.engine.create_call({"To": PATIENT, "From": CLINIC, "Url": f"{BASE}/fails",
                           "FallbackUrl": f"{BASE}/goodbye"})  # fmt: skip
    si.run_until_idle()
    fallback = seen(twiml_app, "/goodbye")[0]["form"]
    assert fallback["ErrorCode"] == "11200" and fallback["ErrorUrl"] == f"{BASE}/fails"
    assert [e["error_code"] for e in si.errors()] == [11200]


def test_an_answer_slower_than_the_timeout_is_a_failure() -> None:
    import time

    from standin import WsgiTransport

    app = Flask("slow")

    @app.post("/slow")
    def slow() -> str:
        time.sleep(0.3)
        return "<Response><Say>too late</Say></Response>"

    si = StandIn("AC" + "a" * 32, "token", transport=WsgiTransport(app, timeout=0.1),
                 strict_caller_id=False)  # fmt: skip
    sid = si.engine.create_call({"To": PATIENT, "From": CLINIC, "Url": "http://x.test/slow"})
    si.run_until_idle()
    assert [e["error_code"] for e in si.errors()] == [11200]
    assert "timeout" in si.errors()[0]["message"]
    assert si.calls[sid["sid"]]["status"] == "completed"


def test_timeline_keeps_the_most_recent_entries(twiml_app: Flask) -> None:
    from standin import WsgiTransport

    si = StandIn("AC" + "a" * 32, "token", transport=WsgiTransport(twiml_app),
                 strict_caller_id=False, max_timeline=10)  # fmt: skip
    twiml = "<Response>" + "<Say>a</Say>" * 12 + "</Response>"
    si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": twiml})
    si.run_until_idle()
    seqs = [e["seq"] for e in si.timeline()]
    assert len(seqs) == 10 and seqs == list(range(seqs[0], seqs[0] + 10)) and seqs[0] > 0


def test_calls_beyond_the_cps_limit_wait_in_a_queue(twiml_app: Flask) -> None:
    from standin import WsgiTransport

    si = StandIn("AC" + "a" * 32, "token", transport=WsgiTransport(twiml_app),
                 strict_caller_id=False, cps=1)  # fmt: skip
    calls = [si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": "<Response/>"})
             for _ in range(3)]  # fmt: skip
    assert [c["queue_time"] for c in calls] == ["0", "1000", "2000"]
    si.run_until_idle()
    started = [e["at"] for e in si.timeline() if e.get("event") == "initiated"]
    assert started == [0.0, 1.0, 2.0]
