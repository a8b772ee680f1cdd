"""The consultation workflow's core: the context every step runs in, and the entry points.

Steps are *level-triggered*: each one looks at what the database says (state,
legs, who is in the conference) and does the next right thing, so an event that
comes twice, late or out of order finds nothing left to do. Events are hints:
``advance(id, "deadline")`` from a lost timer or the sweeper drives a
consultation on from its stored state alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import TRANSITIONS, Consultation, ConsultationState
from sampark.runtime import Runtime
from workflows import clock
from workflows.config import WorkflowConfig, workflow_config
from workflows.store import Effects, details, locked, present

log = logging.getLogger(__name__)
S = ConsultationState

#: States in which a patient may be waiting on the line in the conference.
WAITING_STATES = frozenset({S.CALLING_ANM, S.FINDING_DOCTOR, S.CALLBACK_SCHEDULED})
#: States in which the workflow owns the consultation and a deadline drives it on.
ACTIVE_STATES = frozenset(
    {
        S.INTAKE_COMPLETE,
        S.EMERGENCY,
        S.CALLING_ANM,
        S.FINDING_DOCTOR,
        S.BRIDGING,
        S.IN_CONFERENCE,
        S.CALLBACK_SCHEDULED,
        S.AWAITING_PRESCRIPTION,
    }
)
START_EVENTS = frozenset({"intake_complete", "emergency", "start"})


@dataclass
class Ctx:
    """One step on one locked consultation."""

    runtime: Runtime
    session: Session
    c: Consultation
    now: datetime
    cfg: WorkflowConfig
    fx: Effects
    result: str | None = None  # TwiML for a webhook step

    @property
    def base(self) -> str:
        """The public address Twilio reaches us at."""
        return self.runtime.settings.public_base_url

    @property
    def urgent(self) -> bool:
        """Emergencies are called at any hour."""
        return bool(self.c.emergency) or self.c.priority == 0

    def after(self, seconds: float) -> datetime:
        return self.now + timedelta(seconds=seconds)

    def move(self, target: S, reason: str, deadline: datetime | None = None) -> None:
        """Transition (stored, versioned) and arm the deadline's timer.

        While a patient waits on the line, the deadline is never later than the end of
        the wait limit, so a patient waiting too long is noticed on time.
        """
        deadline = self._capped(target, deadline)
        self.c.details = {**(self.c.details or {}), "due": _iso(deadline)}
        if self.c.state == target and target not in TRANSITIONS[target]:
            self.set_deadline(deadline)
            return
        self.c.transition(target, reason, deadline=deadline)
        if deadline is not None:
            self.fx.timers.append((deadline, self.c.id))

    def set_deadline(self, deadline: datetime | None) -> None:
        """Change only the deadline (and the version, so stale timers are seen as such)."""
        self.c.details = {**(self.c.details or {}), "due": _iso(deadline)}
        deadline = self._capped(self.c.state, deadline)
        self.c.state_deadline_at = deadline
        self.c.version = (self.c.version or 1) + 1
        if deadline is not None:
            self.fx.timers.append((deadline, self.c.id))

    def patient_wait_ends(self) -> datetime | None:
        since = details(self.c).get("patient_since")
        if not since or "patient" not in present(self.c):
            return None
        return datetime.fromisoformat(since) + timedelta(seconds=self.cfg.patient_wait_limit_s)

    def _capped(self, target: S, deadline: datetime | None) -> datetime | None:
        if target not in WAITING_STATES:
            return deadline
        ends = self.patient_wait_ends()
        if ends is None:
            return deadline
        return ends if deadline is None else min(deadline, ends)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def run_step(
    runtime: Runtime,
    consultation_id: int,
    step: str,
    *,
    now: datetime | None = None,
    **data: object,
) -> tuple[Effects, str | None]:
    """Run ``step`` on the locked consultation.

    Returns:
        The effects to apply after the commit, and the TwiML a webhook step answers with.
    """
    from workflows import steps

    fx = Effects()
    with locked(runtime, consultation_id) as (session, c):
        if c is None:
            log.warning("no such consultation", extra={"consultation_id": consultation_id})
            return fx, None
        ctx = Ctx(runtime, session, c, now or clock.now(), workflow_config(runtime.settings), fx)
        steps.handle(ctx, step, data)
        result = ctx.result
    return fx, result


def advance(
    runtime: Runtime,
    consultation_id: int,
    event: str,
    *,
    now: datetime | None = None,
    **data: object,
) -> Effects:
    """Drive a consultation on after ``event`` (a hint: the stored state decides)."""
    return run_step(runtime, consultation_id, event, now=now, **data)[0]
