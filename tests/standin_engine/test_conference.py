"""A three-party conference: a patient joins by TwiML and waits with music; an ANM and a
doctor are added through the Participants API; the doctor ends it by leaving."""

from __future__ import annotations

from flask import Flask

from standin import PhoneScript, StandIn
from tests.standin_engine.conftest import ANM, CLINIC, DOCTOR, PATIENT
from tests.standin_engine.helpers import conference_events, seen
from tests.standin_engine.twiml_app import BASE


def add(si: StandIn, to: str, label: str, **extra: str) -> str:
    params = {
        "From": CLINIC,
        "To": to,
        "Label": label,
        "StatusCallback": f"{BASE}/status",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        **extra,
    }
    return str(si.engine.create_participant("room-1", params)["call_sid"])  # fmt: skip


def test_three_party_conference(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(digits=["2"]))
    si.script(ANM, PhoneScript(answer_after=3))
    si.script(DOCTOR, PhoneScript(answer_after=5, hangup_after=60))
    patient = si.dial_in(from_=PATIENT, to=CLINIC)
    si.advance(20)  # the patient is in the room, alone, hearing the wait music

    conf = next(iter(si.conferences.values()))
    assert conf["friendly_name"] == "room-1" and conf["status"] == "init"
    assert len(seen(twiml_app, "/wait")) >= 2  # waitUrl is looped

    anm = add(si, ANM, "anm", StartConferenceOnEnter="true")
    doctor = add(si, DOCTOR, "doctor", EndConferenceOnExit="true")
    si.advance(10)
    assert si.conferences[conf["sid"]]["status"] == "in-progress"
    people = si.engine.list_participants(conf["sid"], {})
    assert sorted(p["label"] for p in people) == ["anm", "doctor", "patient"]
    assert si.engine.fetch_participant(conf["sid"], "anm")["call_sid"] == anm

    si.engine.update_participant(conf["sid"], patient, {"Muted": "true"})
    si.engine.update_participant(conf["sid"], "anm", {"Hold": "true"})
    si.engine.update_participant(conf["sid"], "anm", {"Hold": "false"})
    si.run_until_idle()

    assert conference_events(twiml_app) == [
        ("participant-join", "patient"),
        ("participant-join", "anm"),
        ("conference-start", None),
        ("participant-join", "doctor"),
        ("participant-mute", "patient"),
        ("participant-hold", "anm"),
        ("participant-unhold", "anm"),
        ("participant-leave", "doctor"),
        ("participant-leave", "patient"),
        ("participant-leave", "anm"),
        ("conference-end", None),
    ]
    forms = [s["form"] for s in seen(twiml_app, "/conference-status")]
    assert [f["SequenceNumber"] for f in forms] == [str(i) for i in range(len(forms))]
    assert {f["ConferenceSid"] for f in forms} == {conf["sid"]}
    assert forms[-1]["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert forms[-1]["CallSidEndingConference"] == doctor
    assert all(s["valid"] for s in seen(twiml_app))
    # the patient's call went on to the <Dial> action; the REST participants hung up
    assert seen(twiml_app, "/after-conference")[0]["form"]["CallSid"] == patient
    for sid in (patient, anm, doctor):
        assert si.calls[sid]["status"] == "completed"
    assert si.conferences[conf["sid"]]["status"] == "completed"


def test_participant_by_name_creates_the_conference_and_kick(si: StandIn, twiml_app: Flask) -> None:
    si.script(ANM, PhoneScript(answer_after=1))
    si.script(DOCTOR, PhoneScript(answer_after=1))
    first = si.engine.create_participant("room-9", {"From": CLINIC, "To": ANM, "Label": "anm",
        "ConferenceStatusCallback": f"{BASE}/conference-status",
        "ConferenceStatusCallbackEvent": ["start", "end", "join", "leave"],
        "ConferenceRecord": "record-from-start",
        "ConferenceRecordingStatusCallback": f"{BASE}/recording-status"})  # fmt: skip
    assert first["status"] == "queued" and first["conference_sid"].startswith("CF")
    si.engine.create_participant("room-9", {"From": CLINIC, "To": DOCTOR, "Label": "doctor"})
    si.advance(30)
    si.engine.delete_participant(first["conference_sid"], "doctor")  # kicked: call hangs up
    si.advance(5)
    assert conference_events(twiml_app)[-1] == ("participant-leave", "doctor")
    assert si.calls[si.engine.calls[first["call_sid"]].sid]["status"] == "in-progress"
    si.engine.update_conference(first["conference_sid"], {"Status": "completed"})
    si.run_until_idle()

    events = conference_events(twiml_app)
    assert events[-2:] == [("participant-leave", "anm"), ("conference-end", None)]
    end = seen(twiml_app, "/conference-status")[-1]["form"]
    assert end["ReasonConferenceEnded"] == "conference-ended-via-api"
    assert ("conference-start", None) in events
    recordings = si.engine.list_recordings({}, conference_sid=first["conference_sid"])
    assert len(recordings) == 1 and recordings[0]["source"] == "Conference"
    assert seen(twiml_app, "/recording-status")[0]["form"]["ConferenceSid"] == first[
        "conference_sid"]  # fmt: skip


def test_unanswered_participant_never_opens_the_room(si: StandIn, twiml_app: Flask) -> None:
    si.script(DOCTOR, PhoneScript(outcome="no-answer"))
    part = si.engine.create_participant(
        "room-2",
        {"From": CLINIC, "To": DOCTOR, "Timeout": "20", "StatusCallback": f"{BASE}/status"},
    )
    si.run_until_idle()
    assert si.calls[part["call_sid"]]["status"] == "no-answer"
    assert si.conferences[part["conference_sid"]]["status"] == "completed"
    assert seen(twiml_app, "/status")[-1]["form"]["CallStatus"] == "no-answer"


def test_wait_music_that_loops_forever_is_fetched_once(si: StandIn, twiml_app: Flask) -> None:
    twiml_app.config["DOCS"] = ['<Response><Say>Please wait</Say><Play loop="0">'
                                "http://clinic.test/music.mp3</Play></Response>"]  # fmt: skip
    twiml = (f'<Response><Dial><Conference waitUrl="{BASE}/echo?doc=0" '
             'startConferenceOnEnter="false">room-3</Conference></Dial></Response>')  # fmt: skip
    si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": twiml})
    si.run_until_idle(max_virtual_seconds=600)
    assert len(seen(twiml_app, "/echo")) == 1


def test_redirecting_a_participant_takes_it_out_of_the_room(si: StandIn, twiml_app: Flask) -> None:
    si.script(PATIENT, PhoneScript(digits=["2"]))
    si.script(ANM, PhoneScript(answer_after=1))
    patient = si.dial_in(from_=PATIENT, to=CLINIC)
    si.advance(10)
    add(si, ANM, "anm", StartConferenceOnEnter="true")
    si.advance(10)
    conf = si.conference_named("room-1")
    assert conf is not None and conf["status"] == "in-progress"
    assert {p["label"] for p in si.participants(conf["sid"])} == {"patient", "anm"}
    si.engine.update_call(patient, {"Url": f"{BASE}/goodbye"})
    si.run_until_idle()
    events = conference_events(twiml_app)
    assert ("participant-leave", "patient") in events
    leave = next(s["form"] for s in seen(twiml_app, "/conference-status")
                 if s["form"]["StatusCallbackEvent"] == "participant-leave")  # fmt: skip
    assert leave["ReasonParticipantLeft"] == "participant_updated_via_api"
    assert seen(twiml_app, "/goodbye")[0]["form"]["CallSid"] == patient
    assert [p["label"] for p in si.participants(conf["sid"])] == ["anm"]
