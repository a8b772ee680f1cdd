"""A whole consultation in which the patient stays on the line after the intake.

The patient rings a spoke through the local Twilio, goes through the IVR, presses 1
at the offer and waits in the conference; real RQ worker processes call the ANM and
the doctor, who join her there. Nobody calls the patient back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Consultation, ConsultationState, LegRole
from standin import PhoneScript
from tests.workflows.harness import HAPPY_PATH, Stack

S = ConsultationState
PATIENT = "+919431077777"
pytestmark = pytest.mark.slow


def _consultation_id(stack: Stack) -> int | None:
    with stack.runtime.db.session() as s:
        return s.scalar(select(Consultation.id).where(Consultation.caller_mobile == PATIENT))


def test_a_patient_who_stays_on_the_line_talks_to_the_anm_and_the_doctor(stack: Stack) -> None:
    # Hindi, consent, self, name, age, female, fever, 3 days, no, no; a description;
    # silence at the SMS script question; then 1: stay on the line.
    digits = ["1", "1", "1", "35#", "1", "1", "3#", "2", "2", None, "1"]
    script = PhoneScript(digits=digits, record_seconds=[3, 12], hangup_after=3600.0)
    stack.standin.script(PATIENT, script)
    sid = stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
    stack.drive(lambda: _consultation_id(stack) is not None)
    cid = _consultation_id(stack)
    assert cid is not None
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert stack.reasons(cid) == HAPPY_PATH
    # Nobody called the patient back: the ANM and the doctor joined her where she waited.
    # (The ANM took the case while the patient was still hearing the offer, so she was
    # asked to wait for the doctor and is called again to join: a second ANM leg.)
    roles = [leg.role for leg in stack.legs(cid)]
    assert roles == [LegRole.ANM, LegRole.DOCTOR_OFFER, LegRole.ANM]
    assert LegRole.PATIENT_CALLBACK not in roles
    stack.settle()
    standin = stack.standin
    joins = [
        e
        for e in standin.timeline()
        if e["kind"] == "participant" and e["event"] == "join" and e.get("label") == "patient"
    ]
    assert [e["sid"] for e in joins] == [sid]  # the patient's own intake call
    assert [w["status"] for w in standin.webhooks(subject=sid) if w["url"].endswith("/join")] == [
        200
    ]
    assert standin.calls[sid]["status"] == "completed"  # she heard the close, then it ended
    assert standin.errors() == []
