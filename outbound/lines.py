"""One call of ours per phone number at a time: the guard every workflow leg passes.

A phone must never be rung by two of our calls at once (a patient's call-back placed
while an earlier one was still connected, its events lost in an outage). Before a leg's
request goes to Twilio, ``take(runtime, leg_id)`` looks for another leg to the same
number that may still be up, and if there is none marks this one as sent
(``started_at``), in one statement. On PostgreSQL the statement runs under a
transaction-scoped advisory lock on the number, so two workers checking the same number
are serialised and the second sees the first's mark; SQLite has a single writer, so the
statement alone is enough there.

A leg may be up when its status is not final and it was sent: it has a CallSid, or it
was marked within ``SEND_WINDOW`` (a request in flight; a worker killed mid-request
leaves the mark, which stops counting once no answer can still come). A leg older than
``MAX_CALL`` never counts: Twilio ends every call after 4 hours (``TimeLimit``). Lost
final callbacks are what makes a leg look up when it is not: ``workflows/reconcile.py``
asks Twilio about such legs each sweep, so a number is freed within minutes.

The rule holds for every number we call, and what happens to a leg refused depends on
whom it calls:

* **A patient** (a call-back): the leg is not dropped and no try is spent:
  its claim is released (``created``) and the sweeper's reconciliation places it once
  the number is free, unless its consultation has moved on meanwhile.
* **Staff**: the leg ends at once as ``busy``, as if her phone had answered busy. An ANM
  is skipped for the next one now, instead of after the ring deadline of a call that
  cannot be answered. A doctor's offer is marked ``line-busy`` so that it does not count
  as an offer she missed (``outbound.legs._line_busy``); the consultation looks for a doctor again
  at the offer's deadline.
* **Emergency** legs (108, a call centre) are exempt.

Calls of their own (``outbound/calls.py``: the IVR's missed-call call-backs, read-aloud
calls) ask the guard in ``dial``: refused, the unrung leg is withdrawn and its owner
places it again (the sweeper schedules a call-back again; a read-aloud call is queued a
minute later).
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, or_, select, text, update
from sqlalchemy.orm import aliased

from core.runtime import Runtime
from core.timeutil import utcnow
from models import CallLeg, LegRole
from models.telephony import NOT_ENDED, LegStatus

log = logging.getLogger(__name__)
#: How long a sent request with no CallSid yet still counts (the request's timeouts are
#: 3 s + 10 s; a call Twilio did create is adopted by its first webhook).
SEND_WINDOW = timedelta(minutes=2)
#: Twilio's longest call (``TimeLimit``: 4 hours): an older leg is not up, whatever it says.
MAX_CALL = timedelta(hours=4)
#: The advisory lock namespace of the per-number locks (the doctor queue's is one key).
LOCK_SPACE = 5120
EXEMPT_ROLES = (LegRole.EMERGENCY,)
#: Legs that call staff: refused as busy rather than kept waiting.
STAFF_ROLES = (LegRole.ANM, LegRole.DOCTOR_OFFER, LegRole.DOCTOR)


class Line(enum.StrEnum):
    """What the guard says of a leg about to be sent."""

    FREE = "free"  # send it (marked as sent)
    WAIT = "wait"  # a patient's line is busy: keep the leg for later
    BUSY = "busy"  # a staff member's line is busy: end the leg as busy


def up_to(leg: type[CallLeg], number: str, now: datetime) -> list[ColumnElement[bool]]:
    """Conditions of a leg (``CallLeg`` or an alias) to ``number`` that may be up at ``now``.

    ``NOT_ENDED`` names ``status`` unqualified: in a subquery it is the subquery's own.
    """
    return [
        leg.to_number == number,
        text(NOT_ENDED),  # type: ignore[list-item]  # the index's own text
        leg.status != LegStatus.CREATED,
        leg.role.not_in(EXEMPT_ROLES),
        or_(leg.call_sid.is_not(None), leg.started_at >= now - SEND_WINDOW),
        leg.created_at >= now - MAX_CALL,
    ]


def busy(runtime: Runtime, number: str, now: datetime | None = None) -> list[int]:
    """Ids of our legs to ``number`` that may be up (for operators and tests)."""
    now = now or utcnow()
    with runtime.db.session() as session:
        return list(session.scalars(select(CallLeg.id).where(*up_to(CallLeg, number, now))))


def take(runtime: Runtime, leg_id: int) -> Line:
    """Mark leg ``leg_id`` as sent unless another leg to its number may be up.

    Returns:
        ``FREE`` when the leg may be placed now (its number is free, or it is exempt);
        else ``BUSY`` for a leg calling staff, ``WAIT`` for any other.
    """
    now = utcnow()
    with runtime.db.session() as session:
        number, role = session.execute(
            select(CallLeg.to_number, CallLeg.role).where(CallLeg.id == leg_id)
        ).one()
        if role in EXEMPT_ROLES:
            return Line.FREE
        if not runtime.db.is_sqlite:
            session.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, func.hashtext(number))))
        other = aliased(CallLeg)
        others = exists().where(other.id != leg_id, *up_to(other, number, now))
        taken = session.execute(
            update(CallLeg)
            .where(CallLeg.id == leg_id, ~others)
            .values(started_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return Line.FREE
    verdict = Line.BUSY if role in STAFF_ROLES else Line.WAIT
    log.info("line busy: another call of ours is up", extra={"leg_id": leg_id, "then": verdict})
    return verdict
