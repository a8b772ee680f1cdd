"""Reconciliation with Twilio: a status or conference event that never came is learnt from
Twilio's REST API by the sweeper and applied as if it had come (the real stand-in, the
session's database; the whole stack with workers for the conference)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import utcnow
from models import CallLeg, Consultation, ConsultationState, LegRole
from ops.sweeper import sweep
from standin import PhoneScript, StandIn
from tests.builders import intake_done
from tests.workflows.harness import HAPPY_PATH, Stack
from tests.workflows.standin_world import on_standin
from workflows import effects, engine
from workflows.reconcile import reconcile
from workflows.store import present

S = ConsultationState


@pytest.fixture
def world(runtime: Runtime) -> Iterator[tuple[Runtime, StandIn, int]]:
    """A consultation calling its first ANM, whose phone rings out; no callback reaches us."""
    with on_standin(runtime) as (rt, standin, mini):
        for mobile in mini.anms.values():
            standin.script(mobile, PhoneScript(outcome="no-answer"))
        with rt.db.session() as s:
            cid = intake_done(s, mini.spoke_ids["HWC-001"], 1).id
        effects.apply(rt, engine.advance(rt, cid, "intake_complete", claim=True), inline=True)
        yield rt, standin, cid


def _anm_legs(rt: Runtime, cid: int) -> list[CallLeg]:
    with rt.db.session() as s:
        return list(
            s.scalars(
                select(CallLeg)
                .where(CallLeg.consultation_id == cid, CallLeg.role == LegRole.ANM)
                .order_by(CallLeg.id)
            )
        )


def test_a_lost_final_status_is_fetched_and_applied_as_the_callback_would_have(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    first = _anm_legs(rt, cid)[0]
    now = utcnow()
    standin.advance(60)  # the ANM's phone rang out at Twilio; no-answer reached nobody
    assert reconcile(rt, now + timedelta(seconds=30))["legs"] == 0  # not overdue yet
    assert _anm_legs(rt, cid)[0].status == "queued"

    counts = reconcile(rt, now + timedelta(minutes=3))
    assert counts["legs"] == 1 and counts["reconciled"] == 1
    legs = _anm_legs(rt, cid)
    assert legs[0].status == "no-answer" and legs[0].ended_at is not None
    assert legs[0].outcome == "missed"  # the ANM step ran: she is skipped...
    assert len(legs) == 2 and legs[1].staff_id != first.staff_id  # ...and the next one called
    assert reconcile(rt, now + timedelta(minutes=3))["reconciled"] == 0  # applied once


def test_a_call_twilio_does_not_know_ends_as_lost(world: tuple[Runtime, StandIn, int]) -> None:
    rt, _standin, cid = world
    with rt.db.session() as s:
        leg = s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).one()
        leg.call_sid = "CA" + "0" * 32
    counts = reconcile(rt, utcnow() + timedelta(minutes=3))
    assert counts["reconciled"] == 1
    leg = _anm_legs(rt, cid)[0]
    assert leg.status == "lost" and leg.error_code == 20404


def test_twilio_unavailable_changes_nothing_and_the_next_pass_catches_up(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    standin.advance(60)
    assert standin.rest_faults is not None
    standin.rest_faults.configure([{"endpoint": "calls.fetch", "sequence": ["503"]}])
    later = utcnow() + timedelta(minutes=3)
    counts = reconcile(rt, later)
    assert counts["errors"] == 1 and counts["reconciled"] == 0
    assert _anm_legs(rt, cid)[0].status == "queued"
    assert reconcile(rt, later)["reconciled"] == 1
    assert _anm_legs(rt, cid)[0].status == "no-answer"


def test_a_conference_whose_leave_events_were_lost_ends_within_minutes(stack: Stack) -> None:
    for mobile in [*stack.mini.anms.values(), *stack.mini.doctors.values()]:
        stack.standin.script(mobile, PhoneScript(answer_after=2.0, digits=["1"],
                                                 hangup_after=120.0))  # fmt: skip
    cid = stack.consultation(script=PhoneScript(answer_after=3.0, hangup_after=3600.0))
    stack.drive(lambda: stack.state(cid) is S.IN_CONFERENCE)
    stack.standin.faults.configure(  # the outage: no status callback gets through
        [{"drop_rate": 1.0, "kinds": ["conference-status", "call-status"]}]
    )
    stack.settle()  # the doctor and the ANM hang up; their leave events are lost
    with stack.runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.state is S.IN_CONFERENCE and set(present(c)) == {"patient", "anm", "doctor"}
        ends = c.state_deadline_at
    stack.standin.faults.configure([])

    sweep(stack.runtime, utcnow() + timedelta(minutes=3))  # a pass of the sweeper
    stack.settle()
    assert stack.state(cid) is S.AWAITING_PRESCRIPTION
    assert stack.reasons(cid)[-1] == "doctor-and-anm-left"
    assert ends is not None and ends - utcnow() > timedelta(hours=1)  # not its deadline
    with stack.runtime.db.session() as s:
        assert set(present(s.get_one(Consultation, cid))) <= {"patient"}
    patient_calls = [c for c in stack.standin.calls.values() if c["to"].startswith("+9198")]
    assert all(c["status"] == "completed" for c in patient_calls)  # told goodbye, line closed


def test_joins_lost_while_bridging_are_found_before_the_bridge_gives_up(stack: Stack) -> None:
    for mobile in [*stack.mini.anms.values(), *stack.mini.doctors.values()]:
        stack.standin.script(mobile, PhoneScript(answer_after=2.0, digits=["1"],
                                                 hangup_after=900.0))  # fmt: skip
    cid = stack.consultation(script=PhoneScript(answer_after=3.0, hangup_after=3600.0))
    stack.drive(lambda: stack.state(cid) is S.BRIDGING)
    stack.standin.faults.configure([{"drop_rate": 1.0, "kinds": ["conference-status"]}])
    patient_answered = lambda: any(  # noqa: E731
        leg.role is LegRole.PATIENT_CALLBACK and leg.status == "in-progress"
        for leg in stack.legs(cid)
    )
    stack.settle(stop=patient_answered)
    stack.standin.advance(30)  # doctor and patient are in the conference; we were not told
    stack.wait_for_workers(time.monotonic() + 30)
    with stack.runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.state is S.BRIDGING and "patient" not in present(c)
        gives_up = c.state_deadline_at
    stack.standin.faults.configure([])
    assert gives_up is not None
    sweep(stack.runtime, gives_up - timedelta(seconds=30))  # the last pass before it
    stack.wait_for_workers(time.monotonic() + 30)
    assert stack.state(cid) is S.IN_CONFERENCE and stack.reasons(cid)[-1] == "all-joined"
    stack.settle()  # they talk, and leave
    assert stack.reasons(cid) == HAPPY_PATH
    callbacks = [leg for leg in stack.legs(cid) if leg.role is LegRole.PATIENT_CALLBACK]
    assert len(callbacks) == 1  # the patient, in the conference, is not called again
