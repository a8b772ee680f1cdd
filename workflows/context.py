"""The context every step runs in: one locked consultation, the moment, the config, the effects.

The bottom of the state machine: every step module (``anm``, ``offers``, ``bridge``,
``abandoned``, ``steps``) imports this and nothing imports them back; the entry points
that lock a row and run a step are ``workflows.engine``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.runtime import Runtime
from models import TRANSITIONS, CallLeg, Consultation, ConsultationState, LegRole
from models.telephony import LegStatus
from workflows.config import WorkflowConfig
from workflows.store import Effects, details, leg_for

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
    #: Claim the legs created here in this transaction (a worker's step that places them).
    claim: bool = False
    claimed: dict[int, CallLeg] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The public address Twilio reaches us at."""
        return self.runtime.settings.public_base_url

    @property
    def urgent(self) -> bool:
        """Emergencies are called at any hour."""
        return bool(self.c.emergency) or self.c.priority == 0

    def call(
        self, *, purpose: str, role: LegRole, to: str, staff_id: int | None = None, attempt: int = 1
    ) -> CallLeg:
        """The leg for ``purpose`` (made if new), placed after the commit, at most once."""
        leg, created = leg_for(
            self.session,
            self.c,
            purpose=purpose,
            role=role,
            to=to,
            settings=self.runtime.settings,
            staff_id=staff_id,
            attempt=attempt,
            status=LegStatus.DIALING if self.claim else LegStatus.CREATED,
        )
        if created and self.claim:
            self.claimed[leg.id] = leg
        else:
            self.fx.place.append(leg.id)
        return leg

    def after(self, seconds: float) -> datetime:
        return self.now + timedelta(seconds=seconds)

    def move(self, target: S, reason: str, deadline: datetime | None = None) -> None:
        """Transition (stored, versioned) and arm the deadline's timer.

        While a patient waits on the line, the deadline is never later than the end of
        the wait limit, so a patient waiting too long is noticed on time.
        """
        deadline = self._capped(target, deadline)
        self.c.details = {**(self.c.details or {}), "due": iso(deadline)}
        if self.c.state == target and target not in TRANSITIONS[target]:
            self.set_deadline(deadline)
            return
        self.c.transition(target, reason, deadline=deadline)
        if deadline is not None:
            self.fx.timers.append((deadline, self.c.id))

    def set_deadline(self, deadline: datetime | None) -> None:
        """Change only the deadline (and the version, so stale timers are seen as such)."""
        self.c.details = {**(self.c.details or {}), "due": iso(deadline)}
        deadline = self._capped(self.c.state, deadline)
        self.c.state_deadline_at = deadline
        self.c.version = (self.c.version or 1) + 1
        if deadline is not None:
            self.fx.timers.append((deadline, self.c.id))

    def patient_wait_ends(self) -> datetime | None:
        return patient_wait_ends(details(self.c), self.cfg)

    def _capped(self, target: S, deadline: datetime | None) -> datetime | None:
        return capped_deadline(details(self.c), self.cfg, target, deadline)


def patient_wait_ends(d: dict[str, Any], cfg: WorkflowConfig) -> datetime | None:
    """When the patient on the line (per the bookkeeping ``d``) has waited long enough."""
    since = d.get("patient_since")
    if not since or "patient" not in (d.get("present") or {}):
        return None
    return datetime.fromisoformat(since) + timedelta(seconds=cfg.patient_wait_limit_s)


def capped_deadline(
    d: dict[str, Any], cfg: WorkflowConfig, target: S, deadline: datetime | None
) -> datetime | None:
    """``deadline`` for ``target``, never later than the end of a waiting patient's wait."""
    if target not in WAITING_STATES:
        return deadline
    ends = patient_wait_ends(d, cfg)
    if ends is None:
        return deadline
    return ends if deadline is None else min(deadline, ends)


def iso(moment: datetime | None) -> str | None:
    """A deadline as the bookkeeping stores it."""
    return moment.isoformat() if moment else None
