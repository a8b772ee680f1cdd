"""Missed calls whose call-back was never placed are called back (the DB keeps the promise).

A call to the missed-call line is rejected (free for the caller) and its call-back is an
RQ job, scheduled at once in the call window or for its next opening. Redis keeps
nothing on disk: a flush loses that job. The rejected call is a row
(``IvrSession``, node ``missed_call``), and its call-back leg has the purpose
``missed-callback:<CallSid>``, so the sweeper finds every missed call of the last day
with no leg yet and schedules it again, inside the call window (the job places one
call per purpose, however often it is scheduled).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from core.runtime import Runtime
from core.timeutil import utcnow
from ivr.callback import schedule_callback
from ivr.config import IvrConfig
from models import CallLeg, IvrSession
from models.ivr import SessionStatus

log = logging.getLogger(__name__)
PREFIX = "missed-callback:"
#: A call-back job this old and not run is taken as lost.
GRACE = timedelta(minutes=2)
#: Missed calls older than this are not called back any more.
HORIZON = timedelta(days=1)
BATCH = 200


def purpose(call_sid: str) -> str:
    """The call-back leg's purpose (its idempotency key) for the missed call ``call_sid``."""
    return PREFIX + call_sid


def call_back_forgotten(runtime: Runtime, now: datetime | None = None) -> int:
    """Schedule the call-backs of missed calls that have none; returns how many."""
    now = now or utcnow()
    config = IvrConfig.from_settings(runtime.settings)
    if not config.call_window.contains(now):
        return 0  # outside the window the jobs wait for its opening; look again then
    placed = exists().where(CallLeg.purpose == PREFIX + IvrSession.call_sid)
    with runtime.db.session() as s:
        rows = s.execute(
            select(IvrSession.call_sid, IvrSession.caller, IvrSession.dialled)
            .where(
                IvrSession.node == "missed_call",
                IvrSession.status == SessionStatus.REJECTED,
                IvrSession.created_at < now - GRACE,
                IvrSession.created_at >= now - HORIZON,
                ~placed,
            )
            .order_by(IvrSession.created_at)
            .limit(BATCH)
        ).all()
    for call_sid, caller, line in rows:
        schedule_callback(runtime, caller=caller, line=line, purpose=purpose(call_sid))
    if rows:
        log.warning("missed calls with no call-back: scheduled again", extra={"count": len(rows)})
    return len(rows)
