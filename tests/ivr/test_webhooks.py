"""The intake webhooks, driven with signed requests through the Flask test client."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from core.timeutil import utcnow
from ivr.catalog import catalog
from models import District, IvrSession, Patient, SmsMessage
from tests.builders import MiniDistrict
from tests.ivr.caller import Caller, answers
from tests.ivr.conftest import PATIENT, full_day, stored
from tests.ivr.signing import signed_post

HI, UR, EN = catalog("hi"), catalog("ur"), catalog("en")

#: A whole intake for oneself, from the language menu to the end (Hindi, fever, no danger).
SELF_FEVER = ["1", "1", "1", ("rec", "http://rec/name"), "35#", "1", "1", "3#", "2", "2"]


def test_complete_intake_for_oneself_in_hindi(runtime, call_spoke, handoffs) -> None:
    phone = call_spoke()
    phone.dial()
    assert phone.words[0] == HI.text("welcome") and phone.node == "language"
    answers(phone, SELF_FEVER)
    assert phone.node == "description"
    phone.speak("http://rec/description", "RE" + "d" * 32)
    # Everything medical is in: handed on now; one optional question about SMS remains.
    assert phone.node == "sms_script" and phone.words == [HI.text("sms_script")]
    assert stored(runtime)[0]["state"] == "intake_complete" and len(handoffs) == 1
    phone.press("1")  # Hindi letters are fine
    [row] = stored(runtime)
    assert phone.words == [
        HI.text("reference", digits=", ".join(row["reference"])),
        HI.text("stay_offer"),
    ]
    assert phone.node == "stay" and phone.verbs() == ["Say", "Gather", "Redirect"]
    phone.silence()  # not staying on the line: called back
    assert phone.words == [HI.text("end_next")] and phone.verbs() == ["Say", "Hangup"]
    assert row["state"] == "intake_complete"
    assert row["spoke"] == "HWC-001" and row["language"] == "hi" and row["consent"] is True
    assert row["patient"]["relation"] == "self" and row["patient"]["age_years"] == 35
    assert row["patient"]["sex"] == "female"
    assert row["patient"]["name_recording_url"] == "http://rec/name"
    assert (row["complaint"], row["days"], row["danger_signs"]) == ("fever", 3, [])
    assert row["recording_url"] == "http://rec/description"
    assert row["answers"] == {
        "language": "hi",
        "consent": "yes",
        "for_whom": "self",
        "name": "http://rec/name",
        "age": "35",
        "sex": "female",
        "complaint": "fever",
        "days": "3",
        "danger.unconscious": "no",
        "danger.convulsions": "no",
        "description": "http://rec/description",
        "sms_script": "native",
    }
    assert handoffs == [(row["id"], "intake_complete")]


def test_a_child_becomes_the_patient_linked_to_the_caller(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["4", "1", "2", ("rec", "http://rec/child"), "4#", "2", "4", "2#"])
    assert phone.node == "danger.child_not_drinking"
    assert phone.words == [EN.text("sign_child_not_drinking"), EN.text("yes_no")]
    answers(phone, ["2", "2", "2", ("rec", "http://rec/d")])
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and row["language"] == "en"
    child = row["patient"]
    assert (child["relation"], child["age_years"], child["sex"]) == ("child", 4, "male")
    with runtime.db.session() as s:
        caregiver = s.get(Patient, child["caregiver_id"])
        assert caregiver is not None and caregiver.mobile == PATIENT
        assert caregiver.caregiver_id is None and caregiver.preferred_language == "en"


def test_a_returning_caller_keeps_language_and_known_details(runtime, call_spoke) -> None:
    first = call_spoke()
    first.dial()
    answers(first, ["2", *SELF_FEVER[1:], ("rec", "http://rec/d")])
    again = call_spoke()
    again.dial()  # no language menu: Urdu remembered, details known
    assert again.node == "consent"
    assert again.words == [UR.spoken("welcome"), UR.spoken("consent")]
    answers(again, ["1", "1"])
    assert again.node == "complaint"
    answers(again, ["9", "1#", "2", "2", ("rec", "http://rec/d2")])
    newest = stored(runtime)[0]
    assert newest["state"] == "intake_complete" and newest["language"] == "ur"
    assert newest["patient"]["age_years"] == 35 and "age" not in newest["answers"]


def test_the_language_can_be_changed_at_consent(runtime, call_spoke) -> None:
    first = call_spoke()
    first.dial()
    answers(first, ["3", "2"])  # Bengali, refuses consent
    again = call_spoke()
    again.dial()
    assert again.node == "consent" and again.words[0] == catalog("bn").text("welcome")
    again.press("9")
    assert again.node == "language"
    again.press("4")
    assert again.node == "consent" and again.words == [EN.text("consent")]


def test_consent_refused_ends_politely_and_is_recorded(runtime, call_spoke, handoffs) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "2"])
    assert phone.words == [HI.text("consent_refused")] and phone.verbs() == ["Say", "Hangup"]
    [row] = stored(runtime)
    assert row["state"] == "consent_refused" and row["consent"] is False
    phone.hang_up()
    assert stored(runtime)[0]["state"] == "consent_refused" and handoffs == []


def test_a_danger_sign_is_an_emergency(runtime, call_spoke, mini: MiniDistrict, handoffs) -> None:
    with runtime.db.session() as s:
        s.execute(update(District).values(ambulance_number="+916456222108"))
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "1", "1", ("rec", "http://rec/n"), "60#", "2", "2", "2#"])
    assert phone.node == "danger.severe_breathlessness"
    phone.press("1")
    [row] = stored(runtime)
    assert phone.words == [
        HI.text("emergency"),
        HI.text("emergency_offer"),
        HI.text("reference", digits=", ".join(row["reference"])),
        HI.text("emergency_end"),
    ]
    assert phone.verbs() == ["Say", "Gather", "Say", "Say", "Hangup"]
    assert row["state"] == "emergency" and row["emergency"] is True
    assert row["danger_signs"] == ["severe_breathlessness"]
    assert handoffs == [(row["id"], "emergency")]
    with runtime.db.session() as s:
        [sms] = s.scalars(select(SmsMessage)).all()
        assert sms.purpose == "emergency_anm_alert" and sms.to_number == mini.anms["ANM-001"]
        assert sms.consultation_id == row["id"]
    phone.press("1")  # connect me
    dial = phone.last.find("Dial") if phone.last is not None else None
    assert dial is not None and dial.text == "+916456222108"  # the district's line, never 108
    assert phone.words == [
        HI.text("emergency_connecting"),
        HI.text("emergency_dial_ended"),
        HI.text("emergency_end"),
    ]
    phone.hang_up()
    assert stored(runtime)[0]["state"] == "emergency"


def test_no_input_is_asked_again_twice_then_a_call_back_is_promised(
    runtime, call_spoke, handoffs
) -> None:
    phone = call_spoke()
    phone.dial()
    phone.silence()  # the language menu defaults to Hindi
    assert phone.node == "consent"
    for _ in range(2):
        phone.silence()
        assert phone.node == "consent"
        assert phone.words == [HI.text("no_input"), HI.text("consent")]
    phone.silence()
    [row] = stored(runtime)
    assert phone.words == [
        HI.text("no_input"),
        HI.text("reference", digits=", ".join(row["reference"])),
        HI.text("callback_promise"),
    ]
    assert phone.verbs()[-1] == "Hangup"
    assert row["state"] == "abandoned" and row["answers"] == {"language": "hi"}
    assert handoffs == [(row["id"], "abandoned")]


def test_a_wrong_key_is_named_and_the_question_repeated(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "1"])
    phone.press("7")
    assert phone.node == "for_whom"
    assert phone.words == [HI.text("wrong_key", digits="7"), HI.text("for_whom")]
    answers(phone, ["1", ("rec", "http://rec/n")])
    phone.press("150#")
    assert phone.words == [HI.text("invalid_age", digits="1, 5, 0"), HI.text("age")]
    phone.press("*")  # star repeats, with nothing before
    assert phone.node == "age" and phone.words == [HI.text("age")]
    phone.press("45#")
    assert phone.node == "sex"


def test_too_many_wrong_keys_end_with_a_call_back_promise(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "1", "8", "8", "8"])
    assert phone.node == "for_whom"
    phone.press("8")
    assert phone.words[-1] == HI.text("callback_promise")
    assert stored(runtime)[0]["state"] == "abandoned"


STEPS = ["1", "1", "1", ("rec", "http://rec/n"), "30#", "1", "3", "5#", "2", "2"]


@pytest.mark.parametrize("hang_up_after", range(len(STEPS) + 1))
def test_a_hang_up_keeps_every_answer_and_tells_the_anm(
    runtime, call_spoke, handoffs, hang_up_after: int
) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, STEPS[:hang_up_after])
    phone.hang_up()
    [row] = stored(runtime)
    assert row["state"] == "abandoned"
    assert len(row["answers"]) == hang_up_after
    assert handoffs == [(row["id"], "abandoned")]


def test_ringing_back_within_30_minutes_resumes(runtime, call_spoke, handoffs) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["4", "1", "1", ("rec", "http://rec/n"), "30#"])
    phone.hang_up()
    again = call_spoke()
    again.dial()
    assert again.node == "sex"
    assert again.words == [EN.text("welcome_back"), EN.text("sex")]
    answers(again, ["2", "5", "1#", "2", "2", ("rec", "http://rec/d")])
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and row["patient"]["age_years"] == 30
    assert [event for _, event in handoffs] == ["abandoned", "intake_complete"]


def test_after_30_minutes_a_new_intake_starts(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["4", "1"])
    phone.hang_up()
    with runtime.db.session() as s:
        s.execute(update(IvrSession).values(updated_at=utcnow() - timedelta(minutes=31)))
    again = call_spoke()
    again.dial()
    assert again.node == "consent" and again.words[0] == EN.text("welcome")
    assert len(stored(runtime)) == 2


def test_a_district_number_asks_the_spoke_code_again_when_wrong(
    runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    phone = Caller(client, PATIENT, mini.district_number)
    phone.dial()
    phone.press("1")
    assert phone.node == "spoke_code" and phone.words == [HI.text("spoke_code")]
    phone.press("999#")
    assert phone.words == [HI.text("spoke_code_unknown", digits="9, 9, 9"), HI.text("spoke_code")]
    phone.press("102#")
    assert phone.node == "consent"
    row = stored(runtime)[0]
    assert row["spoke"] == "HWC-002" and row["channel"] == "district"


def test_a_district_number_confirms_the_callers_last_spoke(
    runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    first = Caller(client, PATIENT, mini.spoke_numbers["HWC-003"])
    first.dial()
    answers(first, ["1", "2"])
    phone = Caller(client, PATIENT, mini.district_number)
    phone.dial()
    assert phone.node == "spoke_confirm"
    assert phone.words == [HI.text("welcome"), HI.text("spoke_confirm", code="2, 0, 3")]
    phone.press("1")
    assert phone.node == "consent"
    assert stored(runtime)[0]["spoke"] == "HWC-003"


def test_a_missed_call_is_rejected_and_called_back(
    runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    full_day(runtime)
    phone = Caller(client, PATIENT, mini.missed_call_number)
    phone.dial()
    assert phone.verbs() == ["Reject"] and phone.last is not None
    assert phone.last[0].get("reason") == "busy"
    [job] = runtime.queue("calls").jobs
    assert job.func_name == "ivr.callback.place_intake_callback"
    assert list(job.args) == [
        PATIENT,
        mini.missed_call_number,
        f"missed-callback:{phone.call_sid}",
        False,
    ]
    assert stored(runtime) == []
    callback = Caller(client, PATIENT, mini.missed_call_number, direction="outbound-api")
    callback.dial()  # the patient answers our call: the same intake runs
    assert callback.node == "language"
    answers(callback, ["1", "1"])
    row = stored(runtime)[0]
    assert row["channel"] == "missed" and row["caller"] == PATIENT


def test_the_same_number_calling_again_and_again_is_slowed_down(
    runtime, call_spoke, caplog
) -> None:
    for _ in range(6):
        phone = call_spoke()
        phone.dial()
        phone.hang_up()
    phone = call_spoke()
    phone.dial()
    assert phone.words == [HI.text("rate_limited")] and phone.verbs() == ["Say", "Hangup"]
    assert len(stored(runtime)) == 1  # each ring-back resumed the same intake
    other = call_spoke(caller="+919431099999")
    other.dial()
    assert other.node == "language"


def test_an_unknown_dialled_number_gets_a_polite_message(runtime, client, mini, caplog) -> None:
    phone = Caller(client, PATIENT, "+916456999999")
    phone.dial()
    assert phone.words == [HI.text("unknown_number"), EN.text("unknown_number")]
    assert phone.verbs() == ["Say", "Say", "Hangup"]
    assert any(getattr(r, "event", "") == "ivr-unknown-number" for r in caplog.records)


def test_a_forged_signature_is_refused(client: FlaskClient, mini: MiniDistrict) -> None:
    form = {"CallSid": "CA" + "f" * 32, "From": PATIENT, "To": mini.spoke_numbers["HWC-001"]}
    for path in ("/ivr/incoming", "/ivr/step?n=consent&l=hi", "/ivr/status", "/ivr/recording"):
        assert signed_post(client, path, form, token="not-the-token").status_code == 403
        assert client.post(path, data=form).status_code == 403
    tampered = signed_post(client, "/ivr/incoming", form)
    assert tampered.status_code == 200
    response = client.post(
        "/ivr/incoming",
        data={**form, "From": "+919999999999"},
        headers={"X-Twilio-Signature": tampered.request.headers["X-Twilio-Signature"]},
    )
    assert response.status_code == 403


def test_the_recording_callback_keeps_the_recording(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, SELF_FEVER)
    phone.speak("http://rec/early")
    phone.recording_ready("description", "http://rec/final", "RE" + "9" * 32)
    row = stored(runtime)[0]
    assert row["recording_url"] == "http://rec/final" and row["recording_sid"] == "RE" + "9" * 32


def test_a_recorded_prompt_is_played_instead_of_spoken(runtime, call_spoke) -> None:
    runtime.settings = runtime.settings.with_overrides(
        extra={"ivr": {"audio_base_url": "https://audio.sampark.test/prompts/"}}
    )
    hindi = catalog("hi")
    with patch.dict(hindi.audio, {"consent": "surjapuri/consent.mp3"}):
        phone = call_spoke()
        phone.dial()
        phone.press("1")
    gather = phone.last.find("Gather") if phone.last is not None else None
    assert gather is not None
    assert [(el.tag, el.text) for el in gather] == [
        ("Play", "https://audio.sampark.test/prompts/surjapuri/consent.mp3")
    ]


def test_a_repeated_webhook_is_not_applied_twice(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "1", "1", ("rec", "http://rec/n")])
    assert phone.node == "age"
    phone.press("30#")
    again = signed_post(phone.client, "/ivr/step?n=age&l=hi", phone._form(Digits="45"))
    assert HI.text("sex") in again.data.decode()  # the current question, asked again
    row = stored(runtime)[0]
    assert row["answers"]["age"] == "30" and row["patient"]["age_years"] == 30


def test_a_rate_limited_missed_caller_is_rejected_without_a_call_back(
    runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    full_day(runtime)
    for _ in range(7):
        Caller(client, PATIENT, mini.missed_call_number).dial()
    assert len(runtime.queue("calls").jobs) == 6
    phone = Caller(client, PATIENT, mini.missed_call_number)
    phone.dial()
    assert phone.verbs() == ["Reject"] and len(runtime.queue("calls").jobs) == 6
