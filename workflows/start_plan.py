"""A consultation's start as one pure decision: its routing, the ANM to ring, the state to enter.

Both writers of a start use it: the full path (``anm.start`` on the locked ORM row) and
the worker's fast path (``fast_start``: two reads and one statement). Neither decides
anything of its own; they read the facts, call ``plan``, and write what it says, the
state change through ``Consultation.transition``. ``next_anm`` is the same choice for
every later ANM call (the next one after a pass, a miss or a time-out, or a reminder).
Its values are named tuples: immutable, and a fraction of a frozen dataclass's cost to
build on the worker's hottest path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from models import ConsultationState
from workflows import router
from workflows.config import WorkflowConfig

S = ConsultationState


class Facts(NamedTuple):
    """What a start reads of the consultation (and its patient)."""

    state: ConsultationState
    specialty: str | None
    priority: int | None
    emergency: bool
    complaint: str | None
    age_years: int | None
    intake_completed_at: datetime | None
    details: Mapping[str, Any]


class AnmCall(NamedTuple):
    """One ANM to ring: who, the call's number among the consultation's ANM calls, and the
    ANMs tried so far (this one included)."""

    staff_id: int
    mobile: str
    attempt: int
    tried: tuple[int, ...]

    def purpose(self, consultation_id: int) -> str:
        """The leg's purpose: one leg per ANM call, placed at most once."""
        return f"c{consultation_id}:anm:{self.attempt}"

    def bookkeeping(self, leg_id: int) -> dict[str, Any]:
        """What the consultation's ``details`` keep of this call."""
        return {"anm_tried": list(self.tried), "anm_calls": self.attempt, "anm_leg": leg_id}


class StartPlan(NamedTuple):
    """What a start writes: the routing, and either an ANM call (the move to ``calling_anm``
    with its ring deadline) or none (nobody on duty: on to the doctors)."""

    specialty: str
    priority: int
    intake_completed_at: datetime
    reason: str
    call: AnmCall | None
    target: ConsultationState | None
    deadline: datetime | None  # before the waiting patient's cap (``context.capped_deadline``)


def next_anm(
    details: Mapping[str, Any],
    order: Sequence[tuple[int, str]],
    *,
    again: tuple[int, str] | None = None,
) -> AnmCall | None:
    """The next ANM of ``order`` (id, mobile) not yet tried, or ``again`` (one who asked to
    be called later); None when every ANM was tried."""
    tried = list(details.get("anm_tried") or [])
    if again is None:
        remaining = [(i, mobile) for i, mobile in order if i not in tried]
        if not remaining:
            return None
        staff_id, mobile = remaining[0]
        tried.append(staff_id)
    else:
        staff_id, mobile = again
    attempt = int(details.get("anm_calls") or 0) + 1
    return AnmCall(staff_id, mobile, attempt, tuple(tried))


def ring_deadline(now: datetime, cfg: WorkflowConfig) -> datetime:
    """When an ANM who has not chosen is skipped: her ring, then the menu's grace."""
    return now + timedelta(seconds=cfg.anm_ring_timeout_s + cfg.anm_menu_grace_s)


def plan(
    facts: Facts, order: Sequence[tuple[int, str]], cfg: WorkflowConfig, now: datetime
) -> StartPlan:
    """The start of an intake that is complete (or an emergency): route it, ring the first
    ANM of ``order`` (the ANMs on duty, the spoke's own first)."""
    age = facts.age_years
    specialty = facts.specialty or router.specialty_for(
        facts.complaint, age, cfg.specialty_map, child_age_years=cfg.child_age_years
    )
    rank = router.priority_for(facts.emergency, age, facts.complaint)
    priority = min(facts.priority if facts.priority is not None else int(rank), int(rank))
    call = next_anm(facts.details, order)
    return StartPlan(
        specialty=specialty,
        priority=priority,
        intake_completed_at=facts.intake_completed_at or now,
        reason="emergency" if facts.state is S.EMERGENCY else "intake-complete",
        call=call,
        target=S.CALLING_ANM if call is not None else None,
        deadline=ring_deadline(now, cfg) if call is not None else None,
    )
