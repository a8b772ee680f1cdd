"""Every open state has an owner, a deadline and a sweeper rule (``workflows.ownership``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core.runtime import Runtime
from core.timeutil import utcnow
from models import TRANSITIONS, Consultation, ConsultationState, IvrSession
from ops.sweeper import due_consultations, sweep
from tests.builders import build_mini_district, intake_done
from workflows.ownership import DEADLINE_STATES, OPEN_STATES

S = ConsultationState


def test_every_state_a_consultation_can_leave_has_an_owner_and_a_deadline() -> None:
    open_states = {state for state, targets in TRANSITIONS.items() if targets}
    assert set(OPEN_STATES) == open_states
    for state, rule in OPEN_STATES.items():
        assert rule.owner and rule.deadline and rule.on_deadline, state


def _in_state(runtime: Runtime, state: S, *, deadline_ago: timedelta | None) -> int:
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        c = intake_done(s, mini.spoke_ids["HWC-001"], 1)
        c.state = state
        c.state_deadline_at = None if deadline_ago is None else utcnow() - deadline_ago
        c.created_at = utcnow() - timedelta(hours=1)
        if state is S.INTAKE:
            s.add(
                IvrSession(
                    call_sid="CA" + "5" * 32,
                    consultation_id=c.id,
                    caller=c.caller_mobile,
                    dialled=mini.spoke_numbers["HWC-001"],
                    node="complaint",
                    vars={},
                )
            )
        s.flush()
        cid = c.id
    if state is S.INTAKE:
        with runtime.db.session() as s:
            stale = utcnow() - timedelta(minutes=10)
            s.execute(update(IvrSession).values(updated_at=stale))
    return cid


def _snapshot(runtime: Runtime, cid: int) -> tuple[S, object]:
    with runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        return c.state, c.state_deadline_at


@pytest.mark.parametrize("state", sorted(OPEN_STATES, key=lambda s: s.value))
@pytest.mark.parametrize("deadline_ago", [timedelta(minutes=5), None], ids=["past", "none"])
def test_the_sweeper_moves_every_open_state_on_once_its_deadline_has_passed(
    runtime: Runtime, state: S, deadline_ago: timedelta | None
) -> None:
    cid = _in_state(runtime, state, deadline_ago=deadline_ago)
    now = utcnow()
    sweep(runtime, now)
    after, deadline = _snapshot(runtime, cid)
    moved = after is not state
    assert moved or (deadline is not None and deadline > now), (state, after, deadline)
    if after in DEADLINE_STATES:  # still open: not overdue any more
        assert cid not in due_consultations(runtime, now)
