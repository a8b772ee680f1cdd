"""Database side of the workflow: row locks, call legs, and effects run after commit.

Every change to a consultation happens inside ``locked(runtime, id)``: one
transaction holding ``SELECT ... FOR UPDATE`` on the consultation's row
(PostgreSQL; SQLite has a single writer), so two workers or web processes never
act on the same consultation at once. Side effects on the outside world (calls
placed, calls redirected, SMS sent, timers) are collected as ``Effects`` and run
only after the commit: if the process dies in between, the stored state and its
``state_deadline_at`` are enough for the sweeper to carry on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, noload

from core.runtime import Runtime
from core.settings import Settings
from models import CallLeg, Consultation, LegRole
from models.telephony import LegStatus
from outbound.caller_id import NO_CALLER_ID, caller_id_column, pick
from outbound.caller_id import caller_id as outbound_caller_id

#: Call statuses in the order a call goes through them; a callback never moves a leg back.
STATUS_RANK: dict[str, int] = {
    LegStatus.CREATED: 0,  # row written, nothing asked of Twilio yet
    LegStatus.DIALING: 1,  # claimed by one worker; the REST request is in flight
    LegStatus.QUEUED: 2,
    LegStatus.INITIATED: 3,
    LegStatus.RINGING: 4,
    LegStatus.IN_PROGRESS: 5,
    LegStatus.ANSWERED: 5,
    LegStatus.COMPLETED: 9,
    LegStatus.BUSY: 9,
    LegStatus.NO_ANSWER: 9,
    LegStatus.FAILED: 9,
    LegStatus.CANCELED: 9,
    LegStatus.LOST: 9,  # never confirmed by Twilio (see outbound.legs)
}
FINAL_STATUSES = frozenset(s for s, rank in STATUS_RANK.items() if rank == 9)


def is_final(status: str | None) -> bool:
    """Whether a leg's status is final (the call is over or never happened)."""
    return status in FINAL_STATUSES


@dataclass
class Effects:
    """What to do outside the database once the transaction has committed."""

    place: list[int] = field(default_factory=list)  # CallLeg ids to dial
    redirect: list[tuple[str, str]] = field(default_factory=list)  # (CallSid, TwiML)
    hangup: list[str] = field(default_factory=list)  # CallSids
    sms: list[int] = field(default_factory=list)  # SmsMessage ids to deliver
    timers: list[tuple[datetime, int]] = field(default_factory=list)  # (when, consultation id)
    dispatch: bool = False  # run the doctor queue
    recheck: bool = False  # run the doctor queue soon: one pass for every re-check meanwhile
    #: Legs claimed in the step's transaction, with their requests: placed by that process.
    claimed: list[tuple[int, dict[str, object]]] = field(default_factory=list)

    def merge(self, other: Effects) -> None:
        self.place += other.place
        self.claimed += other.claimed
        self.redirect += other.redirect
        self.hangup += other.hangup
        self.sms += other.sms
        self.timers += other.timers
        self.dispatch = self.dispatch or other.dispatch
        self.recheck = self.recheck or other.recheck

    def __bool__(self) -> bool:
        return bool(
            self.place
            or self.claimed
            or self.redirect
            or self.hangup
            or self.sms
            or self.timers
            or self.dispatch
            or self.recheck
        )


#: The hot statements, built once (their construction and cache key cost more than a run).
_LOCK = (
    select(Consultation)
    .where(Consultation.id == bindparam("id"))
    .options(
        joinedload(Consultation.patient),
        noload(Consultation.transitions),  # only appended to here: never read
    )
    .with_for_update(of=Consultation)
)


_LEG_AND_CALLER_ID = select(
    select(CallLeg.id).where(CallLeg.purpose == bindparam("purpose")).scalar_subquery(),
    caller_id_column(bindparam("spoke_id"), bindparam("consultation_id")),
)


@contextmanager
def locked(runtime: Runtime, consultation_id: int) -> Iterator[tuple[Session, Consultation | None]]:
    """A transaction holding the consultation's row lock (``None`` if it does not exist)."""
    with runtime.db.session() as session:
        found = session.scalars(_LOCK, {"id": consultation_id}).one_or_none()
        yield session, found


def details(c: Consultation) -> dict[str, Any]:
    """The workflow's bookkeeping on the consultation (read-only view)."""
    return dict(c.details or {})


def set_details(c: Consultation, **values: Any) -> None:
    """Update the workflow's bookkeeping (reassigned so SQLAlchemy sees the change)."""
    c.details = {**(c.details or {}), **values}


def present(c: Consultation) -> dict[str, str]:
    """Who is in the conference now: label -> CallSid."""
    return dict(details(c).get("present") or {})


def caller_id(session: Session, c: Consultation, settings: Settings) -> str:
    """The number our calls for ``c`` come from (``outbound.caller_id``; else a placeholder)."""
    return outbound_caller_id(session, c, NO_CALLER_ID, settings=settings)


def leg_for(
    session: Session,
    c: Consultation,
    *,
    purpose: str,
    role: LegRole,
    to: str,
    settings: Settings,
    staff_id: int | None = None,
    attempt: int = 1,
    status: str = LegStatus.CREATED,
) -> tuple[CallLeg, bool]:
    """The leg for ``purpose`` and whether it was created now (with ``status``).

    ``purpose`` is the leg's idempotency key: a second request for the same purpose
    returns the first leg, so no purpose is ever dialled twice. One round trip looks
    for it and reads the caller id (``settings``' outbound number wins: ``pick``); the
    insert flushes only the leg (the consultation's own changes are written once, at
    commit).
    """
    params = {"purpose": purpose, "spoke_id": c.spoke_id, "consultation_id": c.id}
    with session.no_autoflush:  # every leg is flushed when made: nothing pending to see
        found, number = session.execute(_LEG_AND_CALLER_ID, params).one()
    if found is not None:
        return session.get_one(CallLeg, found), False
    leg = CallLeg(
        consultation_id=c.id,
        purpose=purpose,
        role=role,
        direction="outbound-api",
        staff_id=staff_id,
        from_number=pick(settings, number),
        to_number=to,
        status=status,
        attempt=attempt,
    )
    session.add(leg)
    session.flush()
    return leg, True


def leg_for_sid(session: Session, call_sid: str) -> CallLeg | None:
    """The leg Twilio calls ``call_sid``, if we know it."""
    return session.scalars(select(CallLeg).where(CallLeg.call_sid == call_sid)).one_or_none()
