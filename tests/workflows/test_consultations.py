"""Whole consultations through the Twilio stand-in, with real RQ worker processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models import Consultation, ConsultationState, LegRole, SmsMessage, SmsStatus, Staff
from sms_templates import render
from standin import PhoneScript
from tests.workflows.harness import HAPPY_PATH, Stack

S = ConsultationState
TALKS = 90.0  # seconds a doctor or ANM stays in the conference


def staff(stack: Stack, code: str) -> Staff:
    with stack.runtime.db.session() as s:
        return s.scalars(select(Staff).where(Staff.code == code)).one()


def assert_no_leg_placed_twice(stack: Stack) -> None:
    legs = stack.legs()
    assert len({leg.purpose for leg in legs}) == len(legs)
    placed = [leg for leg in legs if leg.call_sid]
    assert len(stack.standin.calls) == len(placed), "a call Twilio saw is not one of our legs"


def test_happy_path_patient_anm_and_doctor_talk_then_prescription_is_awaited(stack: Stack) -> None:
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert stack.reasons(cid) == HAPPY_PATH
    roles = [leg.role for leg in stack.legs(cid)]
    assert roles == [LegRole.ANM, LegRole.DOCTOR_OFFER, LegRole.PATIENT_CALLBACK, LegRole.ANM]
    assert_no_leg_placed_twice(stack)
    stack.settle()
    [conference] = stack.standin.conferences.values()
    assert conference["friendly_name"].startswith("sampark-")
    doctor_sms = stack.standin.inbox(stack.mini.doctors["DR-GM-1"])
    assert any(f"/portal/consultations/{cid}" in m["body"] for m in doctor_sms)
    # 30 minutes later, no prescription: one reminder.
    stack.drive(lambda: len(stack.standin.inbox(stack.mini.doctors["DR-GM-1"])) == 2)


def test_the_anm_passes_and_the_next_anm_of_the_spoke_takes_it(stack: Stack) -> None:
    stack.standin.script(stack.mini.anms["ANM-001"], PhoneScript(answer_after=2.0, digits=["3"]))
    cid = stack.consultation(complaint="pregnancy", sex="female", age=24)
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    reasons = stack.reasons(cid)
    assert reasons[1:4] == ["intake-complete", "anm-passed", "anm-accepted"]
    assert "offer:DR-OG-1" in reasons
    anm_calls = [leg.to_number for leg in stack.legs(cid) if leg.role is LegRole.ANM]
    assert anm_calls[:2] == [stack.mini.anms["ANM-001"], stack.mini.anms["ANM-002"]]
    with stack.runtime.db.session() as s:
        from models import Consultation

        assert s.get_one(Consultation, cid).anm_id == staff(stack, "ANM-002").id


def test_the_first_doctor_does_not_answer_and_the_offer_moves_on(stack: Stack) -> None:
    stack.standin.script(stack.mini.doctors["DR-GM-1"], PhoneScript(outcome="no-answer"))
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    reasons = stack.reasons(cid)
    assert reasons[3:6] == ["offer:DR-GM-1", "offer-no-answer", "offer:DR-GM-2"]
    assert staff(stack, "DR-GM-1").missed_offers == 1
    assert staff(stack, "DR-GM-2").missed_offers == 0
    assert_no_leg_placed_twice(stack)


def test_a_doctor_missing_offers_in_a_row_is_set_unavailable_and_the_admin_told(
    stack: Stack,
) -> None:
    stack.standin.script(stack.mini.doctors["DR-GM-1"], PhoneScript(outcome="busy"))
    for _ in range(3):
        cid = stack.consultation(complaint="fever")
        stack.drive(lambda cid=cid: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    doctor = staff(stack, "DR-GM-1")
    assert doctor.available is False and doctor.missed_offers == 3
    # Told in her language through outbound: the registered template, its DLT ID, delivered.
    [notice] = stack.standin.inbox(stack.mini.admin_mobile)
    told = render("doctor_unavailable", "hi", "native", doctor_name=doctor.name,
                  doctor_code="DR-GM-1", missed=3)  # fmt: skip
    with stack.runtime.db.session() as s:
        [sms] = s.scalars(select(SmsMessage).where(SmsMessage.purpose == "doctor_unavailable"))
    assert (sms.to_number, sms.body, sms.dlt_template_id, sms.template) == (
        stack.mini.admin_mobile, told.body, told.dlt_template_id, told.template
    )  # fmt: skip
    assert sms.status == SmsStatus.DELIVERED and notice["body"] == told.body
    assert "DR-GM-1" in told.body and "अनुपलब्ध" in told.body
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert "offer:DR-GM-1" not in stack.reasons(cid)


def test_every_doctor_busy_then_the_patient_is_called_back_when_one_is_free(stack: Stack) -> None:
    for code in ("DR-GM-1", "DR-GM-2"):
        stack.standin.script(
            stack.mini.doctors[code], PhoneScript(answer_after=2.0, digits=["1"], hangup_after=400)
        )
    first = [stack.consultation(complaint="fever") for _ in range(2)]
    stack.drive(lambda: all(stack.state(c) is S.IN_CONFERENCE for c in first), max_timers=5)
    waiting = stack.consultation(complaint="fever", spoke="HWC-002")
    stack.drive(lambda: stack.state(waiting) is S.AWAITING_PRESCRIPTION)
    reasons = stack.reasons(waiting)
    assert reasons.index("anm-accepted") < reasons.index("doctor-accepted")
    [callback] = [leg for leg in stack.legs(waiting) if leg.role is LegRole.PATIENT_CALLBACK]
    offers = [leg for leg in stack.legs(waiting) if leg.role is LegRole.DOCTOR_OFFER]
    assert len(offers) == 1  # nobody was offered a case while busy
    ended = max(
        leg.ended_at for c in first for leg in stack.legs(c) if leg.role is LegRole.DOCTOR_OFFER
    )
    assert callback.created_at >= ended - timedelta(seconds=1)
    assert_no_leg_placed_twice(stack)


def test_an_unreachable_patient_is_retried_then_told_by_sms_with_the_anm(stack: Stack) -> None:
    mobile = "+919812345678"
    cid = stack.consultation(mobile=mobile, script=PhoneScript(outcome="no-answer"))
    waits = []
    for k in (1, 2, 3):
        stack.drive(lambda k=k: stack.reasons(cid).count("patient-no-answer") == k)
        assert stack.state(cid) is S.CALLBACK_SCHEDULED
        waits.append(stack.deadline_after_last_move(cid))
    assert [round(w / 60) for w in waits] == [5, 15, 60]  # the configured retry delays
    stack.drive(lambda: stack.state(cid) is S.UNREACHABLE)
    stack.settle()  # the SMS on their way
    tries = [leg for leg in stack.legs(cid) if leg.role is LegRole.PATIENT_CALLBACK]
    assert [leg.attempt for leg in tries] == [1, 2, 3, 4]
    assert {leg.status for leg in tries} == {"no-answer"}
    reasons = stack.reasons(cid)
    assert reasons.count("patient-no-answer") == 3 and reasons[-1] == "patient-no-answer-last-try"
    assert len(stack.standin.inbox(mobile)) == 1
    anm_sms = stack.standin.inbox(stack.mini.anms["ANM-001"])
    assert len(anm_sms) == 1
    assert_no_leg_placed_twice(stack)


def test_an_answering_machine_counts_as_not_reached(stack: Stack) -> None:
    cid = stack.consultation(script=PhoneScript(outcome="machine"))
    stack.drive(lambda: "patient-machine" in stack.reasons(cid), max_timers=10)
    [first, *_] = [leg for leg in stack.legs(cid) if leg.role is LegRole.PATIENT_CALLBACK]
    assert first.answered_by and first.answered_by.startswith("machine")


def test_an_emergency_jumps_the_queue_of_patients_waiting_for_a_doctor(stack: Stack) -> None:
    with stack.runtime.db.session() as s:
        s.scalars(select(Staff).where(Staff.code == "DR-GM-2")).one().active = False
    stack.standin.script(
        stack.mini.doctors["DR-GM-1"], PhoneScript(answer_after=2.0, digits=["1"], hangup_after=300)
    )
    busy = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(busy) is S.IN_CONFERENCE, max_timers=5)
    routine = [stack.consultation(complaint="fever", spoke="HWC-002") for _ in range(2)]
    stack.drive(lambda: all(stack.state(c) is S.FINDING_DOCTOR for c in routine), max_timers=5)
    emergency = stack.consultation(complaint="fever", spoke="HWC-003", emergency=True)
    stack.drive(lambda: stack.state(emergency) is S.FINDING_DOCTOR, max_timers=5)
    stack.drive(lambda: stack.state(emergency) is S.AWAITING_PRESCRIPTION)
    offers = sorted(
        (
            leg
            for c in (*routine, emergency)
            for leg in stack.legs(c)
            if leg.role is LegRole.DOCTOR_OFFER
        ),
        key=lambda leg: leg.id,
    )
    assert offers[0].consultation_id == emergency
    stack.drive(lambda: all(stack.state(c) is S.AWAITING_PRESCRIPTION for c in routine))
    firsts = [
        next(leg.id for leg in stack.legs(c) if leg.role is LegRole.DOCTOR_OFFER) for c in routine
    ]
    assert firsts == sorted(firsts)  # first come, first served behind the emergency


def test_a_patient_still_on_the_line_waits_in_the_conference_and_hears_the_close(
    stack: Stack,
) -> None:
    mobile = "+919811100001"
    cid = stack.consultation(mobile=mobile, script=PhoneScript(hangup_after=3600.0), handoff=False)
    line = "+916456229999"  # the IVR's last step hands the caller to the workflow
    stack.standin.add_number(
        line, voice_url=f"{stack.env['PUBLIC_BASE_URL']}/calls/consultations/{cid}/join"
    )
    stack.standin.dial_in(from_=mobile, to=line)
    from workflows.handoff import hand_off

    hand_off(stack.runtime, cid, "intake_complete")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert stack.reasons(cid) == HAPPY_PATH
    # Nobody called the patient back: the ANM and the doctor joined her where she waited.
    assert [leg.role for leg in stack.legs(cid)] == [LegRole.ANM, LegRole.DOCTOR_OFFER]
    stack.settle()
    redirects = [e for e in stack.standin.timeline() if e.get("event") == "redirected"]
    assert redirects, "the patient left alone heard the closing message"


def test_an_anm_who_takes_it_later_is_reminded_and_then_joins(stack: Stack) -> None:
    anm = stack.mini.anms["ANM-001"]
    stack.standin.script(anm, PhoneScript(answer_after=2.0, digits=["2"]))
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.CALLBACK_SCHEDULED)
    assert stack.reasons(cid)[-1] == "anm-later"
    assert round(stack.deadline_after_last_move(cid) / 60) == 15
    stack.standin.script(anm, PhoneScript(answer_after=2.0, digits=["1"], hangup_after=90.0))
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert stack.reasons(cid)[2:5] == ["anm-later", "anm-reminder", "anm-accepted"]
    anm_calls = [leg.to_number for leg in stack.legs(cid) if leg.role is LegRole.ANM]
    assert anm_calls[:2] == [anm, anm]  # the same ANM, reminded


def test_a_call_back_waits_until_the_patients_intake_call_has_ended(stack: Stack) -> None:
    """A patient still hearing the IVR's goodbye would find our call-back busy: it goes
    out when the IVR reports the intake call's end, not before."""
    from models import IvrSession
    from workflows.handoff import hand_off

    cid = stack.consultation(complaint="fever", handoff=False)
    with stack.runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        intake = IvrSession(call_sid="CA" + "e" * 32, consultation_id=cid, node="stay",
                            caller=c.caller_mobile, dialled="+916456220001", vars={})  # fmt: skip
        s.add(intake)
    hand_off(stack.runtime, cid, "intake_complete")
    stack.drive(lambda: stack.state(cid) is S.BRIDGING)  # the doctor accepted
    assert LegRole.PATIENT_CALLBACK not in [leg.role for leg in stack.legs(cid)]
    with stack.runtime.db.session() as s:  # the caller hangs up: the IVR says so
        s.execute(
            update(IvrSession).where(IvrSession.consultation_id == cid).values(status="ended")
        )
    hand_off(stack.runtime, cid, "intake_call_ended")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    roles = [leg.role for leg in stack.legs(cid)]
    assert roles == [LegRole.ANM, LegRole.DOCTOR_OFFER, LegRole.ANM, LegRole.PATIENT_CALLBACK]
    assert stack.reasons(cid)[-2:] == ["all-joined", "doctor-and-anm-left"]
    assert_no_leg_placed_twice(stack)
