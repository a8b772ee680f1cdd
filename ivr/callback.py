"""The missed-call line: the call is rejected (free for the caller) and we call back.

The call-back is an RQ job on the ``calls`` queue: at once inside the call window
(default 08:00-20:00 IST), else at the next opening; urgent ones at any time. The
job writes a ``CallLeg`` whose ``purpose`` (unique) is the idempotency key BEFORE
asking Twilio to dial, so a retried webhook or job never calls twice. When the
patient answers, Twilio fetches ``/ivr/incoming`` and the same intake runs.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core import clock as wclock
from core.runtime import Runtime, process_runtime
from core.timeutil import utcnow
from ivr.config import IvrConfig
from models import CallLeg, LegRole

log = logging.getLogger(__name__)
JOB = "ivr.callback.place_intake_callback"


def in_window(moment: datetime, config: IvrConfig) -> bool:
    """Whether ``moment`` is inside the IVR's call window (IST)."""
    return wclock.in_window(moment, (config.window_opens, config.window_closes))


def next_window_opening(moment: datetime, config: IvrConfig) -> datetime:
    """The first moment at or after ``moment`` inside the call window (aware UTC)."""
    return wclock.next_window_open(moment, (config.window_opens, config.window_closes))


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
    config = IvrConfig.from_settings(runtime.settings)
    now = now or utcnow()
    when = now if urgent else next_window_opening(now, config)
    queue = runtime.queue("calls")
    args = (caller, line, purpose, urgent)
    if when <= now:
        queue.enqueue(JOB, *args, job_timeout=60)
    else:
        queue.enqueue_at(when, JOB, *args, job_timeout=60)
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

    config = IvrConfig.from_settings(runtime.settings)
    now = utcnow()
    if not urgent and not in_window(now, config):
        schedule_callback(runtime, caller=caller, line=line, purpose=purpose, now=now)
        return ""
    try:
        with runtime.db.session() as s:
            existing = s.scalars(select(CallLeg).where(CallLeg.purpose == purpose)).first()
            if existing is not None:
                log.info("call-back already placed", extra={"purpose": purpose})
                return existing.call_sid or ""
            leg = CallLeg(
                purpose=purpose,
                role=LegRole.PATIENT_CALLBACK,
                direction="outbound-api",
                from_number=line,
                to_number=caller,
                status="queued",
            )
            s.add(leg)
            s.flush()
            leg_id = leg.id
    except IntegrityError:
        log.info("call-back already placed (concurrent job)", extra={"purpose": purpose})
        return ""
    return _dial(runtime, leg_id, caller, line, purpose)


def _dial(runtime: Runtime, leg_id: int, caller: str, line: str, purpose: str) -> str:
    """Place the call-back leg ``leg_id``, unless another of our calls is up on the number.

    Then the leg is withdrawn (it never rang) and the sweeper schedules the call-back
    again a minute later (``ivr.missed_calls``): the database, not a job, keeps it.
    """
    from telephony.gateway import TelephonyGateway
    from workflows.lines import Line, take

    if take(runtime, leg_id) is not Line.FREE:
        with runtime.db.session() as s:
            s.execute(delete(CallLeg).where(CallLeg.id == leg_id, CallLeg.call_sid.is_(None)))
        log.info("call-back waits: the patient's line is on another of our calls")
        return ""
    base = runtime.settings.public_base_url
    try:
        sid = TelephonyGateway.for_runtime(runtime).place_call(
            to=caller,
            from_=line,
            url=f"{base}/ivr/incoming",
            status_callback=f"{base}/ivr/status",
            timeout=30,
        )
    except Exception as exc:
        # The leg stays (its purpose is spent: the request may have reached Twilio);
        # the failure is on the row for operators and the workflow's sweeper.
        with runtime.db.session() as s:
            failed: CallLeg | None = s.get(CallLeg, leg_id)
            if failed is not None:
                failed.status = "failed"
                failed.error_message = repr(exc)[:500]
        raise
    with runtime.db.session() as s:
        placed = s.get(CallLeg, leg_id)
        if placed is not None:
            placed.call_sid = sid
            placed.status = "initiated"
            placed.started_at = utcnow()
    return sid
