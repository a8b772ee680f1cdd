"""The missed-call line: the call is rejected (free for the caller) and we call back.

The call-back is an RQ job on the ``calls`` queue: at once inside the call window
(``IVR_CALL_WINDOW``, default 08:00-20:00 IST), else at the next opening; urgent ones at
any time. The job writes a ``CallLeg`` whose ``purpose`` (unique) is the idempotency key
and has outbound dial it after the commit (``outbound.calls``), so a retried webhook or
job never calls twice. When the patient answers, Twilio fetches ``/ivr/incoming`` and
the same intake runs.

The call comes from the line the patient rang, or from the configured outbound number
(``OUTBOUND_CALLER_ID``: the caller-ID rule's first step, ``outbound.caller_id``); then
the line rides in the answer URL (``?line=``) so the intake knows which line it is on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.runtime import Runtime, process_runtime
from core.timeutil import utcnow
from ivr.config import IvrConfig
from models import CallLeg, LegRole
from outbound import calls

log = logging.getLogger(__name__)


def schedule_callback(
    runtime: Runtime,
    *,
    caller: str,
    line: str,
    purpose: str,
    urgent: bool = False,
    now: datetime | None = None,
) -> datetime:
    """Enqueue the call-back job (may raise on Redis failure); returns when it will run."""
    window = IvrConfig.from_settings(runtime.settings).call_window
    now = now or utcnow()
    when = now if urgent else window.next_opening(now)
    queue = runtime.queue("calls")
    args = (caller, line, purpose, urgent)
    if when <= now:
        queue.enqueue(place_intake_callback, *args, job_timeout=60)
    else:
        queue.enqueue_at(when, place_intake_callback, *args, job_timeout=60)
    log.info(
        "missed call: call-back scheduled",
        extra={"purpose": purpose, "at": when.isoformat(), "urgent": urgent},
    )
    return when


def place_intake_callback(caller: str, line: str, purpose: str, urgent: bool = False) -> str:
    """RQ job: call the patient back from ``line``; returns the CallSid ("" if not placed)."""
    return place_callback(process_runtime(), caller, line, purpose, urgent)


def place_callback(
    runtime: Runtime, caller: str, line: str, purpose: str, urgent: bool = False
) -> str:
    """Call ``caller`` back from ``line`` once per ``purpose`` (inside the window unless urgent).

    A patient's line on another of our calls withdraws the unrung leg; the sweeper
    schedules the call-back again a minute later (``ivr.missed_calls``): the database,
    not a job, keeps it. A failed request leaves the leg ``failed`` and raises.
    """
    now = utcnow()
    if not urgent and not IvrConfig.from_settings(runtime.settings).call_window.contains(now):
        schedule_callback(runtime, caller=caller, line=line, purpose=purpose, now=now)
        return ""
    base = runtime.settings.public_base_url
    from_ = runtime.settings.outbound_caller_id or line
    call = calls.Call(
        to=caller,
        from_=from_,
        url=f"{base}/ivr/incoming" + ("" if from_ == line else f"?{urlencode({'line': line})}"),
        status_callback=f"{base}/ivr/status",
        timeout=30,
    )
    try:
        with runtime.db.session() as s:
            existing = s.scalars(select(CallLeg).where(CallLeg.purpose == purpose)).first()
            if existing is not None:
                log.info("call-back already placed", extra={"purpose": purpose})
                return existing.call_sid or ""
            leg_id = calls.write_leg(
                s, purpose=purpose, role=LegRole.PATIENT_CALLBACK, call=call
            ).id
    except IntegrityError:
        log.info("call-back already placed (concurrent job)", extra={"purpose": purpose})
        return ""
    return calls.dial(runtime, leg_id, call) or ""
