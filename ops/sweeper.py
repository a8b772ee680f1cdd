"""Recovery: drive on every consultation past its deadline, whatever Redis kept.

Runs every minute as an RQ cron job (``sampark worker`` registers it) and is the
one timer loop tests and the simulator drive with a virtual ``now``
(``run_due_timers``). It finds consultations whose ``state_deadline_at`` has
passed (a timer job lost with Redis's data, a worker killed mid-job, a dropped
callback) and hand-offs that never reached the workflow, and re-drives each
from what the database says. It also replays the IVR's fallback records and
re-sends SMS left pending; once an hour it deletes the portal's dead sessions.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from core import clock
from core.runtime import Runtime
from ivr.missed_calls import call_back_forgotten
from ivr.stale import end_silent_intakes
from models import Consultation, ConsultationState
from ops.fallback_replay import replay
from ops.metrics_sources import record_sweep
from outbound.sms import redrive_pending
from portal.housekeeping import purge
from prescriptions.followup import send_due_followup_reminders
from workflows import effects, engine
from workflows.config import workflow_config
from workflows.dispatch import dispatch
from workflows.ownership import DEADLINE_STATES
from workflows.reconcile import reconcile

log = logging.getLogger(__name__)
S = ConsultationState
BATCH = 500
#: A hand-off not picked up after this long is re-driven (the job or Redis was lost).
HANDOFF_GRACE_S = 20


def due_consultations(runtime: Runtime, now: datetime, limit: int = BATCH) -> list[int]:
    """Ids of open consultations whose deadline has passed, oldest first.

    Every open state but ``intake`` keeps its deadline on the row
    (``workflows.ownership``); one with no deadline at all (a hand-off whose job was
    lost, a state entered without one) is overdue once ``HANDOFF_GRACE_S`` has passed.
    """
    started = func.coalesce(Consultation.intake_completed_at, Consultation.created_at)
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(Consultation.id)
                .where(
                    Consultation.state.in_(DEADLINE_STATES),
                    or_(
                        Consultation.state_deadline_at <= now,
                        and_(
                            Consultation.state_deadline_at.is_(None),
                            started <= now - timedelta(seconds=HANDOFF_GRACE_S),
                        ),
                    ),
                )
                .order_by(Consultation.state_deadline_at.nulls_first())
                .limit(limit)
            )
        )


def sweep(runtime: Runtime, now: datetime | None = None) -> dict[str, int]:
    """One pass: re-drive what is due; returns counts for the logs."""
    now = now or clock.now()
    counts = {"due": 0, "failed": 0, "offers": 0, "fallback": 0}
    counts.update(_keep_ivr_promises(runtime))
    for consultation_id in due_consultations(runtime, now):
        counts["due"] += 1
        try:
            fx = engine.advance(runtime, consultation_id, "deadline", now=now)
            effects.apply(runtime, fx, inline=True)
        except Exception:
            counts["failed"] += 1
            log.exception("sweeper could not re-drive", extra={"consultation_id": consultation_id})
    try:
        fx = dispatch(runtime, now)
        counts["offers"] = len(fx.place)
        effects.apply(runtime, fx, inline=True)
    except Exception:
        log.exception("sweeper could not run the doctor queue")
    counts["fallback"] = _replay_ivr_fallback(runtime)
    counts["reconciled"] = reconcile(runtime, now)["reconciled"]
    _redrive_sms(runtime)
    counts["followups"] = _send_followup_reminders(runtime)
    if now.minute == 0:  # once an hour (a missed or doubled pass is harmless)
        counts.update(_housekeep(runtime, now))
    record_sweep(runtime, counts["due"], counts["failed"])  # /metrics: shared in Redis
    if counts["due"] or counts["failed"]:
        log.info("sweep", extra=counts)
    return counts


def run_due_timers(runtime: Runtime, now: datetime) -> dict[str, int]:
    """Fire every timer due at ``now`` (a virtual time in tests and the simulator)."""
    return sweep(runtime, now)


def _replay_ivr_fallback(runtime: Runtime) -> int:
    """Replay the webhooks kept in the durable fallback (the IVR's and the workflow's)."""
    try:
        report = replay(runtime)
    except Exception:
        log.exception("fallback replay failed")
        return 0
    return report.replayed


def _keep_ivr_promises(runtime: Runtime) -> dict[str, int]:
    """Intake calls gone silent end as abandoned; missed calls never called back are."""
    counts = {"silent_intakes": 0, "missed_calls": 0}
    try:
        silence = workflow_config(runtime.settings).intake_silence_s
        counts["silent_intakes"] = end_silent_intakes(runtime, silence_s=silence)
    except Exception:
        log.exception("could not end the silent intake calls")
    try:
        counts["missed_calls"] = call_back_forgotten(runtime)
    except Exception:
        log.exception("could not call back the forgotten missed calls")
    return counts


def _send_followup_reminders(runtime: Runtime) -> int:
    """Today's follow-up reminders (idempotent: one per prescription, in the call window)."""
    try:
        return send_due_followup_reminders(runtime)
    except Exception:
        log.exception("follow-up reminders failed")
        return 0


def _housekeep(runtime: Runtime, now: datetime) -> dict[str, int]:
    """Delete the portal's dead sign-in sessions and stale login throttles."""
    try:
        with runtime.db.session() as session:
            return purge(session, now)
    except Exception:
        log.exception("portal housekeeping failed")
        return {}


def _redrive_sms(runtime: Runtime) -> None:
    try:
        redrive_pending(runtime)
    except Exception:
        log.exception("SMS re-drive failed")
