"""The consultation state machine: legal moves are stored, illegal ones raise."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import (
    TERMINAL_STATES,
    TRANSITIONS,
    Consultation,
    ConsultationState,
    ConsultationTransition,
    IllegalTransition,
)

S = ConsultationState


def _new(rt: Runtime) -> int:
    with rt.db.session() as s:
        c = Consultation(reference="K1234", caller_mobile="+919431012345")
        s.add(c)
        s.flush()
        return c.id


def test_every_state_is_declared_and_targets_are_states() -> None:
    assert set(TRANSITIONS) == set(S)
    for targets in TRANSITIONS.values():
        assert targets <= set(S)
    assert {S.CLOSED, S.CANCELLED, S.CONSENT_REFUSED} == TERMINAL_STATES


def test_a_legal_path_is_stored_row_by_row(runtime: Runtime) -> None:
    cid = _new(runtime)
    path = [
        S.INTAKE_COMPLETE,
        S.CALLING_ANM,
        S.FINDING_DOCTOR,
        S.BRIDGING,
        S.IN_CONFERENCE,
        S.AWAITING_PRESCRIPTION,
        S.PRESCRIBED,
        S.CLOSED,
    ]
    for target in path:
        with runtime.db.session() as s:
            s.get_one(Consultation, cid).transition(target, f"test-{target.value}")
    with runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.state is S.CLOSED
        rows = s.scalars(select(ConsultationTransition).order_by(ConsultationTransition.id)).all()
        assert [(r.from_state, r.to_state) for r in rows] == list(
            zip([S.INTAKE, *path[:-1]], path, strict=True)
        )
        assert rows[0].reason == "test-intake_complete"
        assert rows[0].at.tzinfo is not None
        assert c.version == len(path) + 1


def test_an_illegal_transition_raises_and_writes_nothing(runtime: Runtime) -> None:
    cid = _new(runtime)
    with pytest.raises(IllegalTransition, match="intake -> prescribed"), runtime.db.session() as s:
        s.get_one(Consultation, cid).transition(S.PRESCRIBED, "skip")
    with runtime.db.session() as s:
        assert s.get_one(Consultation, cid).state is S.INTAKE
        assert s.scalars(select(ConsultationTransition)).all() == []


def test_terminal_states_allow_nothing(runtime: Runtime) -> None:
    cid = _new(runtime)
    with runtime.db.session() as s:
        s.get_one(Consultation, cid).transition(S.CONSENT_REFUSED, "refused")
    with pytest.raises(IllegalTransition), runtime.db.session() as s:
        s.get_one(Consultation, cid).transition(S.INTAKE_COMPLETE, "late")
