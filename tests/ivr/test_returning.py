"""A returning caller: hears their latest prescription (press 5), and chooses the SMS script."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.catalog import catalog
from ivr.returning import has_current_prescription
from models import AuditEvent, Patient
from outbound.sms import queue_sms
from tests.builders import MiniDistrict
from tests.ivr.caller import answers
from tests.ivr.conftest import PATIENT, stored
from tests.ivr.prescribed import MEDICINE, add_prescription

HI, EN = catalog("hi"), catalog("en")
#: consent, self (details known), fever, 3 days, no, no, description.
KNOWN_SELF_FEVER = ["1", "1", "1", "3#", "2", "2", ("rec", "http://rec/d")]


@pytest.fixture
def prescribed(runtime, mini: MiniDistrict) -> int:
    """The caller (Hindi) already has a current prescription."""
    with runtime.db.session() as s:
        return add_prescription(s, mini, PATIENT)


def test_a_caller_with_a_prescription_can_hear_it(
    runtime, call_spoke, prescribed, handoffs
) -> None:
    phone = call_spoke()
    phone.dial()  # Hindi remembered: straight to the offer
    assert phone.words == [HI.text("welcome"), HI.text("rx_offer")] and phone.node == "rx_offer"
    phone.press("5")  # the IVR hands the call to the read-aloud (prescriptions.voice)
    assert phone.verbs() == ["Redirect"]
    assert phone.last.find("Redirect").text == (  # type: ignore[union-attr]
        "http://sampark.test/rx/latest?lang=hi&after="
        "http%3A%2F%2Fsampark.test%2Fivr%2Fstep%3Fn%3Drx_read%26l%3Dhi"
    )
    phone.silence()
    assert any(MEDICINE in words for words in phone.words)
    gather = phone.last.find("Gather")
    assert gather is not None and f"/rx/{prescribed}/read" in gather.get("action", "")
    redirect = phone.last.find("Redirect")
    assert redirect is not None and redirect.text == "http://sampark.test/ivr/step?n=rx_read&l=hi"
    phone.silence()  # the read-aloud is over: back in the IVR
    assert phone.node == "rx_next" and phone.words == [HI.text("rx_next")]
    phone.press("2")
    assert phone.words == [HI.text("rx_goodbye")] and phone.verbs() == ["Say", "Hangup"]
    newest = stored(runtime)[0]
    assert newest["state"] == "cancelled"
    assert newest["answers"] == {"rx_offer": "prescription", "rx_next": "end"}
    assert handoffs == []  # nothing for the ANM: the caller only listened
    with runtime.db.session() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.subject_id == prescribed)).all()
        assert [a.action for a in audit] == ["prescription.read_to_caller"]
    again = call_spoke()
    again.dial()  # still remembered: Hindi, the offer again
    assert again.node == "rx_offer"


def test_pressing_1_again_reads_it_again_through_the_read_aloud(runtime, call_spoke, prescribed):  # type: ignore[no-untyped-def]
    phone = call_spoke()
    phone.dial()
    answers(phone, ["5", None])  # redirected to the read-aloud
    phone.press("1")  # the read-aloud's own "press 1 to hear it again"
    assert any(MEDICINE in words for words in phone.words)
    phone.press("9")  # done: the read-aloud hands back
    assert phone.verbs() == ["Redirect"]
    phone.silence()
    assert phone.node == "rx_next"


def test_after_the_prescription_a_new_consultation(
    runtime, call_spoke, prescribed, handoffs
) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["5", None, None])  # to the read-aloud, back to the IVR
    phone.press("1")
    assert phone.node == "consent" and phone.words == [HI.text("consent")]
    answers(phone, [*KNOWN_SELF_FEVER, "1"])
    [row, _old] = stored(runtime)
    assert row["state"] == "intake_complete" and row["answers"]["rx_offer"] == "prescription"
    assert handoffs == [(row["id"], "intake_complete")]


def test_pressing_1_or_nothing_goes_on_with_the_intake(
    runtime, call_spoke, mini, prescribed
) -> None:
    phone = call_spoke()
    phone.dial()
    phone.press("1")
    assert phone.node == "consent"
    quiet = "+919431088888"
    with runtime.db.session() as s:
        add_prescription(s, mini, quiet)
    other = call_spoke(caller=quiet)
    other.dial()
    other.silence()  # no key: on with a new consultation, at once
    assert other.node == "consent" and other.words == [HI.text("consent")]
    new = call_spoke(caller="+919431099999")
    new.dial()
    assert new.node == "language"  # a new caller: no prescription, no offer
    answers(new, ["1"])
    assert new.node == "consent"


def test_a_hang_up_while_hearing_it_leaves_nothing_for_the_anm(
    runtime, call_spoke, prescribed, handoffs
) -> None:
    phone = call_spoke()
    phone.dial()
    phone.press("5")
    phone.hang_up()
    assert stored(runtime)[0]["state"] == "cancelled" and handoffs == []


def test_a_hang_up_at_the_offer_is_an_abandoned_intake(
    runtime, call_spoke, prescribed, handoffs
) -> None:
    phone = call_spoke()
    phone.dial()
    phone.hang_up()
    row = stored(runtime)[0]
    assert row["state"] == "abandoned" and handoffs == [(row["id"], "abandoned")]


def test_a_caller_without_a_current_prescription_never_hears_the_offer(
    runtime, call_spoke, mini: MiniDistrict
) -> None:
    with runtime.db.session() as s:
        add_prescription(s, mini, PATIENT, superseded=True)  # replaced by a correction
    phone = call_spoke()
    phone.dial()
    assert phone.node == "consent"
    answers(phone, KNOWN_SELF_FEVER)
    spoken_all = [w for root in phone.history for w in (el.text for el in root.iter("Say"))]
    assert HI.text("rx_offer") not in spoken_all and HI.text("rx_next") not in spoken_all


def test_the_offer_follows_a_newly_chosen_language(runtime, call_spoke, mini) -> None:
    with runtime.db.session() as s:  # rang for by someone else; the patient has this mobile
        add_prescription(s, mini, PATIENT, caller_mobile="+919431077777")
    phone = call_spoke()
    phone.dial()
    assert phone.node == "language"  # this phone never rang: language asked
    phone.press("4")
    assert phone.node == "rx_offer" and phone.words == [EN.text("rx_offer")]
    answers(phone, ["5", None])  # to the read-aloud
    assert any(MEDICINE in words for words in phone.words)
    assert phone.last.find("Redirect").text.endswith("n=rx_read&l=en")  # type: ignore[union-attr]


def test_which_prescriptions_count(runtime, mini: MiniDistrict) -> None:
    with runtime.db.session() as s:
        add_prescription(s, mini, "+919431011111", superseded=True)
        add_prescription(s, mini, "+919431022222", caller_mobile="+919431033333")
        assert not has_current_prescription(s, "+919431011111")
        assert has_current_prescription(s, "+919431022222")  # the patient's mobile
        assert has_current_prescription(s, "+919431033333")  # the caller's
        assert not has_current_prescription(s, PATIENT)


# -- the SMS script ----------------------------------------------------------------------
def _patient(runtime, mobile: str = PATIENT) -> Patient:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        patient = s.scalars(
            select(Patient).where(Patient.mobile == mobile, Patient.caregiver_id.is_(None))
        ).one()
        s.expunge(patient)
        return patient


def test_roman_script_is_remembered_and_used_for_later_sms(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["2", "1", "1", ("rec", "http://rec/n"), "35#", "1", "1", "3#", "2", "2"])
    phone.speak("http://rec/d")
    assert phone.node == "sms_script"
    assert phone.words == [catalog("ur").spoken("sms_script")]
    phone.press("2")
    row = stored(runtime)[0]
    assert row["state"] == "intake_complete" and row["answers"]["sms_script"] == "roman"
    assert _patient(runtime).sms_script == "roman"
    with runtime.db.session() as s:
        sms = queue_sms(
            s,
            to=PATIENT,
            purpose="could_not_reach",
            language="ur",
            context={"callback_number": "+916456222333"},
            consultation_id=row["id"],
            idempotency_key="test:roman",
        )
        assert sms.script == "roman" and sms.encoding == "GSM-7" and sms.body.isascii()
    again = call_spoke()
    again.dial()
    answers(again, KNOWN_SELF_FEVER)  # not asked again: straight to the offer to stay
    assert again.node == "stay" and again.words[-1] == catalog("ur").spoken("stay_offer")
    assert "sms_script" not in stored(runtime)[0]["answers"]


def test_a_child_added_later_gets_the_phones_script(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["3", "1", "1", ("rec", "http://rec/n"), "35#", "1", "1", "3#", "2", "2"])
    answers(phone, [("rec", "http://rec/d"), "2"])
    again = call_spoke()
    again.dial()
    answers(again, ["1", "2", ("rec", "http://rec/c"), "4#", "2", "4", "1#", "2", "2", "2"])
    answers(again, [("rec", "http://rec/d2")])
    child = stored(runtime)[0]
    assert child["state"] == "intake_complete" and child["patient"]["relation"] == "child"
    with runtime.db.session() as s:
        assert s.get(Patient, child["patient"]["id"]).sms_script == "roman"  # type: ignore[union-attr]


def test_silence_keeps_the_default_and_asks_next_time(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "1", "1", ("rec", "http://rec/n"), "35#", "1", "1", "3#", "2", "2"])
    answers(phone, [("rec", "http://rec/d"), None])
    assert phone.node == "stay"  # on to the offer to stay on the line
    assert _patient(runtime).sms_script is None
    again = call_spoke()
    again.dial()
    answers(again, KNOWN_SELF_FEVER)
    assert again.node == "sms_script"


def test_wrong_keys_at_the_script_question_never_undo_the_intake(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["1", "1", "1", ("rec", "http://rec/n"), "35#", "1", "1", "3#", "2", "2"])
    answers(phone, [("rec", "http://rec/d"), "7", "8", "9"])
    assert phone.node == "sms_script" and phone.words[0] == HI.text("wrong_key", digits="9")
    phone.press("6")  # the fourth wrong key: on to the offer to stay, the default kept
    assert phone.node == "stay" and phone.words[0] == HI.text("wrong_key", digits="6")
    assert stored(runtime)[0]["state"] == "intake_complete"
    assert _patient(runtime).sms_script is None


def test_an_english_caller_is_not_asked(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["4", "1", "1", ("rec", "http://rec/n"), "35#", "1", "1", "3#", "2", "2"])
    phone.speak("http://rec/d")
    assert phone.node == "stay" and phone.words[-1] == EN.text("stay_offer")


def test_wrong_keys_after_the_prescription_end_kindly(
    runtime, call_spoke, prescribed, handoffs
) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["5", None, None, "7", "8", "9"])  # to the read-aloud and back
    assert phone.node == "rx_next" and phone.words[0] == HI.text("wrong_key", digits="9")
    phone.press("3")  # the fourth wrong key: goodbye, nothing for the ANM
    assert phone.words == [HI.text("wrong_key", digits="3"), HI.text("rx_goodbye")]
    assert stored(runtime)[0]["state"] == "cancelled" and handoffs == []
