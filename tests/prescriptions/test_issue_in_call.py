"""A prescription issued while the doctor is still in the call (issue 14, item 6).

The prescription and its SMS are written and queued when she issues; the consultation stays
``in_conference`` (she is still busy, and the call's end still closes the patient's line).
When the conference ends it goes straight on to ``prescribed``: nothing is asked of the
doctor again and nothing is sent twice.
"""

from __future__ import annotations

from sqlalchemy import select, update

from core.runtime import Runtime
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    LegRole,
    Prescription,
    SmsMessage,
    Staff,
)
from prescriptions.notify import ANM_PURPOSE, PATIENT_PURPOSE
from prescriptions.service import issue_prescription
from sms_templates import CONTINUATION
from tests.builders import intake_done
from tests.prescriptions.helpers import build_setting, fever_draft, staff_id
from workflows import dispatch
from workflows.engine import run_step

S = ConsultationState
PATIENT, DOCTOR, ANM = ("CA" + c * 32 for c in "123")


def _in_call(runtime: Runtime) -> tuple[int, int, int]:
    """A consultation in its conference (patient, doctor, ANM), and a second one waiting
    for a general physician whom only this doctor could take (the other one is away)."""
    with runtime.db.session() as s:
        setting = build_setting(s)
        c = s.get_one(Consultation, setting.consultation_id)
        c.state = S.IN_CONFERENCE
        c.conference_name = f"consult-{c.id}"
        c.details = {"present": {"patient": PATIENT, "doctor": DOCTOR, "anm": ANM}}
        s.execute(update(Staff).where(Staff.code == "DR-GM-2").values(available=False))
        waiting = intake_done(s, setting.mini.spoke_ids["HWC-001"], 7, specialty="general_medicine")
        waiting.transition(S.FINDING_DOCTOR, "test-waiting")
        return c.id, setting.doctor_id, waiting.id


def _messages(runtime: Runtime, consultation_id: int) -> list[tuple[str, int | None]]:
    with runtime.db.session() as s:
        rows = s.scalars(
            select(SmsMessage).where(SmsMessage.consultation_id == consultation_id)
        ).all()
        # a continuation (prescription_more) belongs to the SMS it continues
        return sorted((m.purpose, m.prescription_id) for m in rows if m.purpose != CONTINUATION)


def _offers_to(runtime: Runtime, doctor_id: int) -> int:
    """Run one doctor-queue pass; how many offers the doctor holds."""
    dispatch.dispatch(runtime)
    with runtime.db.session() as s:
        return len(
            s.scalars(
                select(CallLeg.id).where(
                    CallLeg.role == LegRole.DOCTOR_OFFER, CallLeg.staff_id == doctor_id
                )
            ).all()
        )


def test_issued_in_the_call_the_sms_goes_and_the_call_ends_as_prescribed(
    runtime: Runtime,
) -> None:
    consultation_id, doctor_id, _ = _in_call(runtime)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s, consultation_id=consultation_id, doctor_id=doctor_id, draft=fever_draft()
        )
        rx_id = rx.id
    sent = sorted([(PATIENT_PURPOSE, rx_id), (ANM_PURPOSE, rx_id)])
    with runtime.db.session() as s:
        c = s.get_one(Consultation, consultation_id)
        assert c.state is S.IN_CONFERENCE  # the call goes on
    assert _messages(runtime, consultation_id) == sent  # the SMS went when she issued
    assert _offers_to(runtime, doctor_id) == 0  # still busy: the waiting patient is not hers

    # The doctor hangs up first: the ANM is still with the patient.
    fx, _ = run_step(runtime, consultation_id, "conference", event="participant-leave",
                     call_sid=DOCTOR)  # fmt: skip
    assert fx.redirect == []
    with runtime.db.session() as s:
        assert s.get_one(Consultation, consultation_id).state is S.IN_CONFERENCE
    # Then the ANM: the patient's call is ended, and the consultation is prescribed.
    fx, _ = run_step(runtime, consultation_id, "conference", event="participant-leave",
                     call_sid=ANM)  # fmt: skip
    assert [sid for sid, _ in fx.redirect] == [PATIENT]
    assert "<Hangup" in fx.redirect[0][1]
    assert fx.dispatch  # she is free again
    with runtime.db.session() as s:
        c = s.get_one(Consultation, consultation_id)
        assert c.state is S.PRESCRIBED
        assert c.state_deadline_at is not None  # closes after the prescribed period
        moves = [(t.from_state, t.to_state, t.reason) for t in c.transitions]
        assert moves[-1] == (S.IN_CONFERENCE, S.PRESCRIBED, "doctor-and-anm-left")
        assert S.AWAITING_PRESCRIPTION not in {to for _, to, _ in moves}

    # Late events change nothing: no second prescription, no link, no SMS again.
    run_step(runtime, consultation_id, "conference", event="participant-leave",
             call_sid=PATIENT)  # fmt: skip
    run_step(runtime, consultation_id, "conference", event="conference-end")
    run_step(runtime, consultation_id, "deadline")
    with runtime.db.session() as s:
        assert s.get_one(Consultation, consultation_id).state is S.PRESCRIBED
        ids = s.scalars(
            select(Prescription.id).where(Prescription.consultation_id == consultation_id)
        ).all()
        assert ids == [rx_id]
    assert _messages(runtime, consultation_id) == sent  # no doctor link, nothing twice
    assert _offers_to(runtime, doctor_id) == 1  # now free: offered the waiting patient


def test_a_conference_that_runs_past_its_limit_ends_as_prescribed_too(runtime: Runtime) -> None:
    consultation_id, doctor_id, _ = _in_call(runtime)
    with runtime.db.session() as s:
        issue_prescription(
            s, consultation_id=consultation_id, doctor_id=doctor_id, draft=fever_draft()
        )
        s.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id)
            .values(state_deadline_at=None)
        )
    fx, _ = run_step(runtime, consultation_id, "deadline")
    assert [sid for sid, _ in fx.redirect] == [PATIENT]
    with runtime.db.session() as s:
        assert s.get_one(Consultation, consultation_id).state is S.PRESCRIBED
    assert "doctor_prescription_link" not in {p for p, _ in _messages(runtime, consultation_id)}


def test_without_a_prescription_the_call_end_still_asks_for_one(runtime: Runtime) -> None:
    consultation_id, _, _ = _in_call(runtime)
    for sid in (DOCTOR, ANM):
        run_step(runtime, consultation_id, "conference", event="participant-leave", call_sid=sid)
    with runtime.db.session() as s:
        assert s.get_one(Consultation, consultation_id).state is S.AWAITING_PRESCRIPTION
    assert ("doctor_prescription_link", None) in _messages(runtime, consultation_id)


def test_a_prescription_issued_in_the_call_may_be_corrected_in_the_call(
    runtime: Runtime,
) -> None:
    consultation_id, doctor_id, _ = _in_call(runtime)
    with runtime.db.session() as s:
        first = issue_prescription(
            s, consultation_id=consultation_id, doctor_id=doctor_id, draft=fever_draft()
        ).code
    with runtime.db.session() as s:
        second = issue_prescription(
            s,
            consultation_id=consultation_id,
            doctor_id=staff_id(s, "DR-GM-1"),
            draft=fever_draft(advice="Drink plenty of water; rest for three days."),
            replaces_code=first,
            correction_reason="advice changed after talking to the ANM",
        )
        assert second.version == 2
    with runtime.db.session() as s:
        assert s.get_one(Consultation, consultation_id).state is S.IN_CONFERENCE
