"""One decision, two writers: the fast start and ``anm.start`` follow ``start_plan.plan``.

The pure plan is checked on its own; then the same consultations are started through
the worker's fast path and through the full path (``engine.advance`` → ``anm.start``)
and every column of every row either writes (the consultation, its call legs, its
stored transitions, audit events) is compared; last, both refuse a move the model's
``TRANSITIONS`` does not allow: ``anm.start`` moves through ``Consultation.transition``,
the fast start through ``Consultation.transition_values`` (its check, its values).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import utcnow
from models import (
    TRANSITIONS,
    AuditEvent,
    CallLeg,
    Consultation,
    ConsultationState,
    ConsultationTransition,
    IllegalTransition,
    Spoke,
)
from models.base import Base
from tests.builders import build_mini_district, intake_done
from workflows import engine, fast_start, start_plan
from workflows.config import WorkflowConfig

S = ConsultationState
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 11:30 IST: the mini district's ANMs on duty
CFG = WorkflowConfig()


def _facts(**kw: Any) -> start_plan.Facts:
    base: dict[str, Any] = {
        "state": S.INTAKE_COMPLETE,
        "specialty": None,
        "priority": None,
        "emergency": False,
        "complaint": "fever",
        "age_years": 30,
        "intake_completed_at": None,
        "details": {},
    }
    return start_plan.Facts(**(base | kw))


def test_the_plan_routes_the_case_and_rings_the_first_anm() -> None:
    plan = start_plan.plan(_facts(age_years=3), [(7, "+919990000007"), (8, "+9199")], CFG, NOW)
    assert (plan.specialty, plan.priority) == ("paediatrics", 1)  # a child under five
    assert plan.reason == "intake-complete"
    assert plan.intake_completed_at == NOW
    assert plan.call == start_plan.AnmCall(7, "+919990000007", 1, (7,))
    assert plan.target is S.CALLING_ANM
    ring = CFG.anm_ring_timeout_s + CFG.anm_menu_grace_s
    assert plan.deadline == NOW + timedelta(seconds=ring)
    assert plan.call.purpose(42) == "c42:anm:1"
    assert plan.call.bookkeeping(99) == {"anm_tried": [7], "anm_calls": 1, "anm_leg": 99}


def test_the_plan_keeps_what_was_set_and_says_emergency() -> None:
    earlier = NOW - timedelta(minutes=3)
    facts = _facts(
        state=S.EMERGENCY,
        emergency=True,
        specialty="dermatology",
        priority=2,
        intake_completed_at=earlier,
    )
    plan = start_plan.plan(facts, [(7, "+91")], CFG, NOW)
    assert (plan.specialty, plan.priority, plan.reason) == ("dermatology", 0, "emergency")
    assert plan.intake_completed_at == earlier


def test_nobody_on_duty_plans_no_call_and_no_move() -> None:
    plan = start_plan.plan(_facts(), [], CFG, NOW)
    assert plan.call is None and plan.target is None and plan.deadline is None


def test_the_next_anm_skips_those_tried_and_a_reminder_rings_her_again() -> None:
    d = {"anm_tried": [7], "anm_calls": 1}
    assert start_plan.next_anm(d, [(7, "a"), (8, "b")]) == start_plan.AnmCall(8, "b", 2, (7, 8))
    assert start_plan.next_anm({"anm_tried": [7, 8]}, [(7, "a"), (8, "b")]) is None
    again = start_plan.next_anm(d, [], again=(7, "a"))
    assert again == start_plan.AnmCall(7, "a", 2, (7,))


def test_the_models_move_values_are_what_transition_sets_and_stores() -> None:
    deadline = NOW + timedelta(minutes=2)
    c = Consultation(id=5, state=S.INTAKE_COMPLETE, version=2)
    row = c.transition(S.CALLING_ANM, "intake-complete", deadline=deadline)
    move = Consultation.transition_values(
        5, S.INTAKE_COMPLETE, 2, S.CALLING_ANM, "intake-complete", deadline=deadline
    )
    assert (move.from_state, move.to_state, move.reason) == (
        row.from_state,
        row.to_state,
        row.reason,
    )
    assert (move.version, move.deadline) == (c.version, c.state_deadline_at)
    with pytest.raises(IllegalTransition):
        Consultation.transition_values(5, S.INTAKE_COMPLETE, 2, S.BRIDGING, "no")


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    with runtime.db.session() as s:
        build_mini_district(s)
    return runtime


#: Consultations started both ways (each case twice: one per path).
CASES: list[dict[str, Any]] = [
    {},
    {"emergency": True, "danger_signs": ["convulsions"]},
    {"age": 2},
    {"complaint": "pregnancy", "age": 24},
    {"complaint": "skin", "spoke": "HWC-002"},
    {"specialty": "dermatology", "priority": 1, "intake_completed_at": NOW - timedelta(hours=1)},
    {
        "details": {
            "patient_since": (NOW - timedelta(seconds=550)).isoformat(),
            "present": {"patient": "CA" + "1" * 32},
        }
    },
]
#: Columns that differ between twins by construction (their own ids, numbers, reference).
TWIN_COLUMNS = {"id", "reference", "caller_mobile", "patient_id", "consultation_id"}
#: Columns stamped with the real time of the write.
STAMPED = {"created_at", "at"}


def _row(obj: Base, ids: dict[int, str], started: datetime) -> dict[str, Any]:
    """Every column of ``obj``, its twin-specific values named and its time stamps checked."""
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if column.key in TWIN_COLUMNS:
            continue
        if column.key in STAMPED and isinstance(value, datetime):
            assert started - timedelta(seconds=1) <= value <= utcnow() + timedelta(seconds=1)
            value = "NOW"
        if type(value) is str:  # not an enum's member
            for real, name in ids.items():
                value = value.replace(f"c{real}:", f"c{name}:")
        if column.key == "details":
            value = {k: ids.get(v, v) if k == "anm_leg" else v for k, v in value.items()}
        out[column.key] = value
    return out


def _rows(rt: Runtime, cid: int, started: datetime) -> dict[str, Any]:
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        legs = s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()
        moves = s.scalars(
            select(ConsultationTransition)
            .where(ConsultationTransition.consultation_id == cid)
            .order_by(ConsultationTransition.id)
        ).all()
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "consultation", AuditEvent.subject_id == cid
            )
        ).all()
        ids = {cid: "CID", **{leg.id: f"LEG{i}" for i, leg in enumerate(legs)}}
        return {
            "consultation": _row(c, ids, started),
            "legs": [_row(leg, ids, started) for leg in legs],
            "moves": [_row(m, ids, started) for m in moves],
            "audit": [_row(a, ids, started) for a in audit],
        }


def _twins(rt: Runtime, n: int, case: dict[str, Any]) -> tuple[int, int]:
    kw = dict(case)
    spoke = kw.pop("spoke", "HWC-001")
    with rt.db.session() as s:
        spoke_id = s.scalar(select(Spoke.id).where(Spoke.code == spoke))
        return intake_done(s, spoke_id, 2 * n, **kw).id, intake_done(
            s, spoke_id, 2 * n + 1, **kw
        ).id


def test_the_fast_start_and_anm_start_write_the_same_rows(rt: Runtime) -> None:
    started = utcnow()
    pairs = [_twins(rt, n, case) for n, case in enumerate(CASES)]
    for full_id, fast_id in pairs:
        engine.advance(rt, full_id, "intake_complete", now=NOW, claim=True)
        assert fast_start.try_start(rt, fast_id, now=NOW) is not None, "fast path stood aside"
    for n, (full_id, fast_id) in enumerate(pairs):
        full, fast = _rows(rt, full_id, started), _rows(rt, fast_id, started)
        assert fast == full, CASES[n]
        assert full["consultation"]["state"] is S.CALLING_ANM
        assert [m["reason"] for m in full["moves"]][-1] in ("intake-complete", "emergency")
        assert len(full["legs"]) == 1 and full["legs"][0]["status"] == "dialing"


def test_both_refuse_a_move_the_model_does_not_allow(rt: Runtime) -> None:
    full_id, fast_id = _twins(rt, 0, {})
    allowed = TRANSITIONS[S.INTAKE_COMPLETE] - {S.CALLING_ANM}
    with patch.dict(TRANSITIONS, {S.INTAKE_COMPLETE: allowed}):
        assert fast_start.try_start(rt, fast_id, now=NOW) is None
        with pytest.raises(IllegalTransition):
            engine.advance(rt, full_id, "intake_complete", now=NOW, claim=True)
    for cid in (full_id, fast_id):
        with rt.db.session() as s:
            c = s.get_one(Consultation, cid)
            assert c.state is S.INTAKE_COMPLETE and c.version == 2
            assert not s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()
