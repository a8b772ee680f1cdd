"""Whole consultations through the Twilio stand-in, with real RQ worker processes."""

from __future__ import annotations

from models import ConsultationState, LegRole
from tests.workflows.harness import Stack

S = ConsultationState


def test_happy_path_patient_anm_and_doctor_talk_then_prescription_is_awaited(stack: Stack) -> None:
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    reasons = stack.reasons(cid)
    assert reasons[:3] == ["ivr-complete", "intake-complete", "anm-accepted"]
    assert "doctor-accepted" in reasons and "all-joined" in reasons
    legs = stack.legs(cid)
    roles = [leg.role for leg in legs]
    assert roles.count(LegRole.ANM) == 2  # her offer call, then joined to the conference
    assert roles.count(LegRole.DOCTOR_OFFER) == 1
    assert roles.count(LegRole.PATIENT_CALLBACK) == 1
    assert len({leg.purpose for leg in legs}) == len(legs)
    doctor_sms = stack.standin.inbox(stack.mini.doctors["DR-GM-1"])
    assert any("/portal/consultations/" in m["body"] for m in doctor_sms)
