"""Callers we cannot ring or text back are not lost in a loop of doctors and failed SMS."""

from __future__ import annotations

import pytest

from models import ConsultationState, LegRole
from standin import PhoneScript
from tests.workflows.harness import Stack

S = ConsultationState


@pytest.mark.parametrize(
    "caller", ["sip:alice@example.sip.twilio.com", "client:anm42", "+4915123456789012345"]
)
def test_a_caller_we_cannot_ring_ends_unreachable_and_only_the_anm_is_told(
    stack: Stack, caller: str
) -> None:
    cid = stack.consultation(mobile=caller)
    stack.drive(lambda: stack.state(cid) is S.UNREACHABLE)
    assert stack.reasons(cid)[-1] == "patient-cannot-be-called"
    legs = stack.legs(cid)
    assert [leg for leg in legs if leg.role is LegRole.PATIENT_CALLBACK] == []
    assert len([leg for leg in legs if leg.role is LegRole.DOCTOR_OFFER]) == 1
    stack.settle()  # the SMS job
    assert len(stack.standin.inbox(stack.mini.anms["ANM-001"])) == 1


def test_a_landline_caller_is_rung_back_but_never_texted(stack: Stack) -> None:
    landline = "+916456222333"
    cid = stack.consultation(mobile=landline, script=PhoneScript(outcome="no-answer"))
    stack.drive(lambda: stack.state(cid) is S.UNREACHABLE, max_timers=60)
    rung = [leg for leg in stack.legs(cid) if leg.role is LegRole.PATIENT_CALLBACK]
    assert len(rung) == 4 and all(leg.to_number == landline for leg in rung)
    stack.settle()  # the SMS job
    assert stack.standin.inbox(landline) == []
    assert len(stack.standin.inbox(stack.mini.anms["ANM-001"])) == 1
