"""A prescription issued while the doctor is still in the call (issue 14, item 6).

The SMS goes when she issues; the consultation moves in_conference -> awaiting_prescription
-> prescribed (the model's transitions); when the call then ends, nothing is asked of the
doctor again and nothing is sent twice.
"""

from __future__ import annotations

from sqlalchemy import select

from core.runtime import Runtime
from models import Consultation, ConsultationState, Prescription, SmsMessage
from prescriptions.notify import ANM_PURPOSE, PATIENT_PURPOSE
from prescriptions.service import issue_prescription
from sms_templates import CONTINUATION
from tests.prescriptions.helpers import build_setting, fever_draft
from workflows.engine import run_step

S = ConsultationState


def _in_call(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.session() as s:
        setting = build_setting(s)
        c = s.get_one(Consultation, setting.consultation_id)
        c.state = S.IN_CONFERENCE
        c.conference_name = f"consult-{c.id}"
        c.details = {"present": {"patient": "CA" + "1" * 32, "doctor": "CA" + "2" * 32}}
        return c.id, setting.doctor_id


def _messages(runtime: Runtime, consultation_id: int) -> list[tuple[str, int | None]]:
    with runtime.db.session() as s:
        rows = s.scalars(
            select(SmsMessage).where(SmsMessage.consultation_id == consultation_id)
        ).all()
        # a continuation (prescription_more) belongs to the SMS it continues
        return sorted((m.purpose, m.prescription_id) for m in rows if m.purpose != CONTINUATION)


def test_issued_in_the_call_the_sms_goes_and_the_calls_end_asks_nothing_more(
    runtime: Runtime,
) -> None:
    consultation_id, doctor_id = _in_call(runtime)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s, consultation_id=consultation_id, doctor_id=doctor_id, draft=fever_draft()
        )
        rx_id = rx.id
    with runtime.db.session() as s:
        c = s.get_one(Consultation, consultation_id)
        assert c.state is S.PRESCRIBED
        moves = [(t.from_state, t.to_state, t.reason) for t in c.transitions]
        assert moves[-2:] == [
            (S.IN_CONFERENCE, S.AWAITING_PRESCRIPTION, "prescribed-in-call"),
            (S.AWAITING_PRESCRIPTION, S.PRESCRIBED, "prescription-issued"),
        ]
    sent = [(PATIENT_PURPOSE, rx_id), (ANM_PURPOSE, rx_id)]
    assert _messages(runtime, consultation_id) == sorted(sent)

    # The call ends: the doctor leaves, then the conference ends.
    run_step(runtime, consultation_id, "conference", event="participant-leave",
             call_sid="CA" + "2" * 32)  # fmt: skip
    run_step(runtime, consultation_id, "conference", event="conference-end")
    run_step(runtime, consultation_id, "deadline")
    with runtime.db.session() as s:
        c = s.get_one(Consultation, consultation_id)
        assert c.state is S.PRESCRIBED
        count = s.scalar(select(Prescription.id).where(Prescription.consultation_id == c.id))
        assert count == rx_id
    assert _messages(runtime, consultation_id) == sorted(sent)  # no link, no second SMS
