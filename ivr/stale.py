"""Intake calls that went silent are taken as ended, as if their status callback had come.

Twilio never retries a status callback, and a number configured without one never
sends it: an intake whose caller hung up would then stay ``intake`` for ever. The
IVR stamps each call's session on every webhook (``IvrSession.updated_at``, real
time), so a call whose session has not moved for ``silence_s`` is over. The sweeper
ends each one through the same handler the ``/ivr/status`` webhook runs (the intake is
kept as abandoned and handed to the workflow, which follows it up), and abandons any
consultation still in ``intake`` with no live call at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from core.runtime import Runtime
from core.timeutil import utcnow
from ivr import calls, store
from models import Consultation, ConsultationState, IvrSession
from models.ivr import SessionStatus
from workflows.handoff import hand_off

log = logging.getLogger(__name__)
S = ConsultationState
BATCH = 200


def end_silent_intakes(runtime: Runtime, *, silence_s: int, now: datetime | None = None) -> int:
    """End the intake calls silent for ``silence_s``; returns how many were ended."""
    cutoff = (now or utcnow()) - timedelta(seconds=silence_s)
    with runtime.db.session() as s:
        silent_calls = list(
            s.scalars(
                select(IvrSession.call_sid)
                .join(Consultation, IvrSession.consultation_id == Consultation.id)
                .where(
                    Consultation.state == S.INTAKE,
                    IvrSession.status == SessionStatus.ACTIVE,
                    IvrSession.updated_at < cutoff,
                )
                .order_by(IvrSession.updated_at)
                .limit(BATCH)
            )
        )
    ended = 0
    for call_sid in silent_calls:
        try:
            calls.status(
                runtime,
                {"CallSid": call_sid, "CallStatus": "completed"},
                {"reason": "intake-call-silent", "replay": "1"},
            )
            ended += 1
        except Exception:
            log.exception("could not end a silent intake call", extra={"call_sid": call_sid})
    log_args = {"silent_calls": len(silent_calls)}
    orphans = _abandon_orphans(runtime, cutoff)
    if silent_calls or orphans:
        log.warning("silent intakes ended", extra={**log_args, "without_call": orphans})
    return ended + orphans


def _abandon_orphans(runtime: Runtime, cutoff: datetime) -> int:
    """Consultations in ``intake`` with no live call and nothing new since ``cutoff``."""
    live_call = exists().where(
        IvrSession.consultation_id == Consultation.id,
        IvrSession.status == SessionStatus.ACTIVE,
    )
    recent_call = exists().where(
        IvrSession.consultation_id == Consultation.id,
        IvrSession.updated_at >= cutoff,
    )
    with runtime.db.session() as s:
        ids = list(
            s.scalars(
                select(Consultation.id)
                .where(
                    Consultation.state == S.INTAKE,
                    Consultation.created_at < cutoff,
                    ~live_call,
                    ~recent_call,
                )
                .limit(BATCH)
            )
        )
    moved = 0
    for consultation_id in ids:
        with runtime.db.session() as s:
            if not store.finish(s, consultation_id, "abandoned", "intake-without-call"):
                continue
        moved += 1
        hand_off(runtime, consultation_id, "abandoned")
    return moved
