"""Whole calls through the local Twilio stand-in (virtual clock, webhooks into the app)."""

from __future__ import annotations

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from core.runtime import Runtime, install_process_runtime
from ivr.after_commit import settle
from ivr.catalog import catalog
from models import CallLeg, SmsMessage
from ops.fallback_replay import replay as replay_fallback
from standin import PhoneScript, StandIn, VirtualClock, WsgiTransport
from tests.conftest import TEST_ACCOUNT_SID
from tests.ivr.conftest import BASE, PATIENT, add_numbers, full_day, stored
from tests.ivr.outages import database_down
from tests.ivr.phoned import COMPLETE, call, said
from workflows import prompts as wait_prompts

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lang", ["hi", "ur", "en"])
def test_a_complete_intake(si, runtime, mini, handoffs, lang: str) -> None:
    sid = call(
        si,
        mini.spoke_numbers["HWC-002"],
        PhoneScript(digits=COMPLETE[lang], record_seconds=[3, 25]),
    )
    assert si.errors() == []
    [row] = stored(runtime)
    cat = catalog(lang)
    assert said(si, sid)[-3:] == [  # silence at the offer to stay: called back, as before
        cat.spoken("reference", digits=", ".join(row["reference"])),
        cat.spoken("stay_offer"),
        cat.spoken("end_next"),
    ]
    assert row["state"] == "intake_complete" and row["language"] == lang
    assert row["spoke"] == "HWC-002" and row["patient"]["relation"] == "self"
    assert row["patient"]["age_years"] == int(COMPLETE[lang][3].rstrip("#"))
    assert row["patient"]["name_recording_url"].startswith(si.engine.api_base_url) or row[
        "patient"
    ]["name_recording_url"].endswith(row["answers"]["name"].rsplit("/", 1)[-1])
    [recording] = [w for w in si.webhooks("recording-status") if "description" in w["url"]]
    assert row["recording_sid"] == recording["params"]["RecordingSid"]
    assert row["recording_url"] == recording["params"]["RecordingUrl"]
    assert len(row["answers"]) == 11
    assert handoffs == [(row["id"], "intake_complete")]


def test_a_caller_who_stays_on_the_line_waits_in_the_consultations_conference(
    si, runtime, mini, handoffs
) -> None:
    # the intake, silence at the SMS script question, then 1: stay on the line
    digits = [*COMPLETE["hi"], None, "1"]
    script = PhoneScript(digits=digits, record_seconds=[3, 25], hangup_after=400)
    sid = call(si, mini.spoke_numbers["HWC-002"], script)
    assert si.errors() == []
    [row] = stored(runtime)
    hindi = catalog("hi")
    assert said(si, sid)[-2:] == [
        hindi.spoken("reference", digits=", ".join(row["reference"])),
        hindi.spoken("stay_offer"),
    ]
    [wait] = si.webhooks(purpose="wait-url", subject=sid)  # a message, then music
    assert wait_prompts.text("hi", "patient_wait") in wait["response"]
    [join] = [w for w in si.webhooks(subject=sid) if w["url"].endswith("/join")]
    assert join["url"] == f"{BASE}/calls/consultations/{row['id']}/join"
    assert (join["purpose"], join["status"]) == ("redirect", 200)
    conference = si.conference_named(f"sampark-{row['reference']}")
    assert conference is not None
    [joined] = [
        e
        for e in si.timeline()
        if e["kind"] == "participant" and e["event"] == "join" and e["sid"] == sid
    ]
    assert (joined["conference_sid"], joined["label"]) == (conference["sid"], "patient")
    assert si.calls[sid]["status"] == "completed"  # hung up while waiting (after 400 s)
    assert row["state"] == "intake_complete" and row["answers"]["stay"] == "yes"
    assert handoffs == [(row["id"], "intake_complete")]


def test_a_caller_who_presses_nothing_hears_the_call_back_promise_and_the_call_ends(
    si, runtime, mini
) -> None:
    script = PhoneScript(digits=[*COMPLETE["en"]], record_seconds=[3, 25])
    sid = call(si, mini.spoke_numbers["HWC-001"], script)
    english = catalog("en")
    assert said(si, sid)[-2:] == [english.spoken("stay_offer"), english.spoken("end_next")]
    assert not [w for w in si.webhooks(subject=sid) if "/calls/" in w["url"]]
    assert si.calls[sid]["status"] == "completed"
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and "stay" not in row["answers"]


def test_a_child_in_bengali(si, runtime, mini) -> None:
    digits = ["3", "1", "2", "2#", "2", "4", "1#", "2", "2", "2"]
    call(si, mini.spoke_numbers["HWC-001"], PhoneScript(digits=digits, record_seconds=[2, 10]))
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and row["language"] == "bn"
    assert (row["patient"]["relation"], row["patient"]["age_years"]) == ("child", 2)
    assert row["patient"]["caregiver_id"] is not None and row["complaint"] == "child_illness"


def test_a_danger_sign_makes_an_emergency_and_alerts_the_anm(
    si,
    runtime,
    mini,
    handoffs,
) -> None:
    runtime.settings = runtime.settings.with_overrides(twilio_api_base_url=si.start())
    digits = ["1", "1", "1", "58#", "2", "2", "1#", "2", "1", None]
    sid = call(si, mini.spoke_numbers["HWC-003"], PhoneScript(digits=digits, record_seconds=[2]))
    install_process_runtime(runtime)
    try:  # the SMS engine's worker sends the queued alert at once
        from outbound.sms import SMS_QUEUE

        SimpleWorker([runtime.queue(SMS_QUEUE)], connection=runtime.redis).work(burst=True)
        si.run_until_idle()
    finally:
        install_process_runtime(None)
    [alert] = si.inbox(mini.anms["ANM-004"])
    assert row_reference(runtime) in alert["body"]
    [row] = stored(runtime)
    hindi = catalog("hi")
    words = said(si, sid)
    assert hindi.spoken("emergency") in words and words[-1] == hindi.spoken("emergency_end")
    assert row["state"] == "emergency" and row["danger_signs"] == ["chest_pain"]
    assert handoffs == [(row["id"], "emergency"), (row["id"], "intake_call_ended")]
    with runtime.db.session() as s:
        [sms] = s.scalars(select(SmsMessage)).all()
    assert sms.purpose == "emergency_anm_alert" and sms.to_number == mini.anms["ANM-004"]


def row_reference(runtime: Runtime) -> str:
    return str(stored(runtime)[0]["reference"])


def test_no_input_ends_with_a_call_back_promise(si, runtime, mini, handoffs) -> None:
    sid = call(si, mini.spoke_numbers["HWC-001"], PhoneScript(digits=["1", None, None, None]))
    assert said(si, sid)[-1] == catalog("hi").spoken("callback_promise")
    [row] = stored(runtime)
    assert row["state"] == "abandoned" and handoffs == [(row["id"], "abandoned")]


def test_wrong_keys_are_named_then_the_intake_goes_on(si, runtime, mini) -> None:
    digits = ["4", "1", "5", "1", "200#", "40#", "1", "1", "4#", "2", "2"]
    sid = call(si, mini.spoke_numbers["HWC-001"], PhoneScript(digits=digits, record_seconds=[2, 5]))
    english = catalog("en")
    words = said(si, sid)
    assert english.spoken("wrong_key", digits="5") in words
    assert english.spoken("invalid_age", digits="2, 0, 0") in words
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and row["patient"]["age_years"] == 40


FULL = ["1", "1", "1", "35#", "1", "1", "3#", "2", "2"]


def _answers_given(si: StandIn, sid: str) -> int:
    """Gather/Record results our app received as answers (not silences)."""
    return sum(
        1
        for w in si.webhooks(subject=sid)
        if w["purpose"] in ("gather-action", "record-action")
        and (w["params"].get("Digits") or w["params"].get("RecordingUrl"))
    )


@pytest.mark.parametrize("step", range(1, 18))
def test_a_hang_up_at_any_step_keeps_every_answer(
    si,
    runtime,
    mini,
    handoffs,
    step: int,
) -> None:
    script = PhoneScript(digits=FULL, record_seconds=[3, 12], hangup_at_step=step)
    sid = call(si, mini.spoke_numbers["HWC-001"], script)
    [row] = stored(runtime)
    assert len(row["answers"]) == _answers_given(si, sid)
    if row["answers"].get("description"):
        assert row["state"] == "intake_complete"  # then the call's end (a call-back may go)
        assert handoffs == [(row["id"], "intake_complete"), (row["id"], "intake_call_ended")]
    else:
        assert row["state"] == "abandoned"
        assert handoffs == [(row["id"], "abandoned")]


def test_a_caller_who_rings_back_resumes_where_they_stopped(si, runtime, mini) -> None:
    number = mini.spoke_numbers["HWC-001"]
    first = call(
        si, number, PhoneScript(digits=["2", "1", "1", "35#"], record_seconds=[3], hangup_at_step=8)
    )
    assert stored(runtime)[0]["state"] == "abandoned"
    second = call(si, number, PhoneScript(digits=["1", "1", "3#", "2", "2"], record_seconds=[9]))
    assert first != second
    assert said(si, second)[0] == catalog("ur").spoken("welcome_back")
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and row["patient"]["age_years"] == 35


def test_a_district_number_with_a_spoke_code(si, runtime, mini) -> None:
    digits = ["1", "777#", "203#", "1", "1", "35#", "1", "1", "3#", "2", "2"]
    sid = call(si, mini.district_number, PhoneScript(digits=digits, record_seconds=[2, 4]))
    assert catalog("hi").spoken("spoke_code_unknown", digits="7, 7, 7") in said(si, sid)
    [row] = stored(runtime)
    assert (row["spoke"], row["channel"], row["state"]) == (
        "HWC-003",
        "district",
        "intake_complete",
    )


def test_a_missed_call_and_its_call_back(si, runtime: Runtime, mini) -> None:
    full_day(runtime)
    runtime.settings = runtime.settings.with_overrides(twilio_api_base_url=si.start())
    install_process_runtime(runtime)
    try:
        missed = call(si, mini.missed_call_number, PhoneScript(digits=[]))
        assert si.calls[missed]["status"] == "busy"
        assert stored(runtime) == []
        digits = ["1", "101#", *FULL[1:]]  # a district-wide line: the spoke code is asked
        si.script(PATIENT, PhoneScript(answer_after=4, digits=digits, record_seconds=[2, 8]))
        worker = SimpleWorker([runtime.queue("calls")], connection=runtime.redis)
        worker.work(burst=True)
        si.run_until_idle()
        settle()
    finally:
        install_process_runtime(None)
    [callback] = si.calls_to(PATIENT)
    assert callback["from"] == mini.missed_call_number and callback["direction"] == "outbound-api"
    with runtime.db.session() as s:
        [leg] = s.scalars(select(CallLeg)).all()
        assert leg.purpose == f"missed-callback:{missed}" and leg.call_sid == callback["sid"]
    [row] = stored(runtime)
    assert (row["channel"], row["state"], row["caller"]) == ("missed", "intake_complete", PATIENT)
    assert row["spoke"] == "HWC-001"
    from ivr.callback import place_callback

    assert place_callback(runtime, PATIENT, mini.missed_call_number, leg.purpose) == leg.call_sid
    assert len(si.calls_to(PATIENT)) == 1  # idempotent: never called twice


def test_a_forged_signature_is_refused(app, runtime, mini) -> None:
    forger = StandIn(
        TEST_ACCOUNT_SID, "some-other-token", clock=VirtualClock(), transport=WsgiTransport(app)
    )
    add_numbers(forger, mini)
    sid = call(forger, mini.spoke_numbers["HWC-001"], PhoneScript(digits=["1"]))
    [hook] = forger.webhooks(subject=sid, purpose="twiml")
    assert hook["status"] == 403
    assert stored(runtime) == []
    forger.stop()


def test_the_database_down_mid_call(si, runtime, mini, handoffs) -> None:
    si.script(PATIENT, PhoneScript(digits=FULL, record_seconds=[3, 8]))
    sid = si.dial_in(from_=PATIENT, to=mini.spoke_numbers["HWC-001"])
    while not any("n=age" in w["url"] for w in si.webhooks(subject=sid)):
        si.advance(1)
    # the caller is now being asked the age, and the database goes away
    with database_down(runtime):
        si.run_until_idle()
        settle()
    assert said(si, sid)[-2:] == [
        catalog("hi").spoken("apology"),
        catalog("hi").spoken("callback_promise"),
    ]
    assert si.calls[sid]["status"] == "completed"
    replay_fallback(runtime)
    [row] = stored(runtime)
    assert row["state"] == "abandoned" and row["answers"]["age"] == "35"
    assert row["patient"]["age_years"] == 35 and handoffs == [(row["id"], "abandoned")]
