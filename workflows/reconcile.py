"""Reconciliation with Twilio: what a lost callback would have said, asked of its REST API.

Twilio never retries a status callback, and a webhook that met a database outage may have
been answered without effect. Each sweep (``ops/sweeper.py``) therefore asks Twilio
about what looks overdue, and applies what it learns through the very steps the callbacks
take, so the workflow cannot tell a reconciled event from a delivered one:

* **Legs** whose status is not final and older than it should be (still ringing after the
  longest ring timeout and a grace; answered for a while and not in a conference we know
  of): the call is fetched; a newer status (final, or answered) goes through the
  ``leg_status`` step. A CallSid Twilio does not know (404) is ended as ``lost``. Legs
  outside the workflow (the IVR's call-backs, read-aloud calls) get the status on the row.
* **Conferences** of consultations bridging or in conference for a while, or with someone
  we think is present: the live conference's participants are listed; each one connected
  and missing from our bookkeeping is applied as a ``participant-join``, each one we think
  present and no longer connected as a ``participant-leave``. A consultation whose people
  have all left moves on within minutes, not at the 2-hour deadline.
* **Waiting legs**: legs left ``created`` (the number was busy with another of our calls,
  ``outbound/lines.py``, or a retried job gave up) are placed again through
  ``legs.place``, which cancels them if the consultation no longer wants them.

Each pass is bounded (``BATCH`` rows of each kind, ``BUDGET_S`` seconds of requests); a
retryable gateway error (Twilio or the network down) ends the pass's requests at once, and
the next pass tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select, text, update

from core.runtime import Runtime
from models import CallLeg, Consultation, ConsultationState, ConsultationTransition, LegRole
from models.telephony import NOT_ENDED, LegStatus
from outbound import calls, legs
from telephony.errors import PermanentGatewayError, RetryableGatewayError
from workflows import effects, engine
from workflows.config import workflow_config
from workflows.context import ACTIVE_STATES, WAITING_STATES
from workflows.store import STATUS_RANK, is_final

log = logging.getLogger(__name__)
S = ConsultationState
#: Legs fetched, conferences listed and waiting legs placed, each, per pass at most.
BATCH = 50
#: After the longest ring timeout, how long before a leg still not answered is asked about.
RING_GRACE = timedelta(seconds=60)
#: An answered leg in no conference we know of is asked about after this long.
ANSWERED_GRACE = timedelta(minutes=2)
#: A consultation bridging or in conference this long without a change is checked (less
#: than a bridge's deadline less a sweep's interval, so a lost join is found before it).
CONFERENCE_QUIET = timedelta(seconds=60)
#: Requests to Twilio stop for the pass after this long (the sweep job has 120 s).
BUDGET_S = 30.0
#: A leg left ``created`` this long is placed again (an ordinary placement is quicker).
WAITING_AFTER = timedelta(seconds=30)
#: Waiting legs older than this are not placed any more (their state's deadline has long
#: moved the consultation on).
WAITING_UNTIL = timedelta(hours=2)
#: Roles whose legs ``workflows.legs.wanted`` decides for (others are not placed again).
REPLACEABLE = (LegRole.ANM, LegRole.DOCTOR_OFFER, LegRole.PATIENT_CALLBACK)
CONFERENCE_STATES = (S.BRIDGING, S.IN_CONFERENCE)
LIVE_CALL = "connected"


def reconcile(runtime: Runtime, now: datetime) -> dict[str, int]:
    """One pass; never raises.

    Returns:
        Counts: ``legs`` fetched, ``conferences`` listed, ``reconciled`` events applied,
        ``placed`` waiting legs sent, ``errors``.
    """
    counts = {"legs": 0, "conferences": 0, "reconciled": 0, "placed": 0, "errors": 0}
    gw = calls.gateway(runtime)
    until = time.monotonic() + BUDGET_S
    try:
        _legs(runtime, gw, now, counts, until)
        _conferences(runtime, gw, now, counts, until)
    except RetryableGatewayError as exc:
        counts["errors"] += 1
        log.warning("Twilio unreachable; reconciliation resumes next pass",
                    extra={"error": exc.message})  # fmt: skip
    except Exception:
        counts["errors"] += 1
        log.exception("reconciliation with Twilio failed")
    try:
        _waiting(runtime, now, counts)
    except Exception:
        counts["errors"] += 1
        log.exception("placing waiting legs failed")
    if counts["reconciled"] or counts["placed"] or counts["errors"]:
        log.info("reconciled with Twilio", extra=counts)
    return counts


# ---------------------------------------------------------------------- legs
def overdue_legs(runtime: Runtime, now: datetime) -> list[Row[*tuple[Any, ...]]]:
    """Legs sent to Twilio, not final, older than expected (oldest first, at most BATCH)."""
    cfg = workflow_config(runtime.settings)
    longest = max(cfg.anm_ring_timeout_s, cfg.offer_timeout_s, cfg.patient_ring_timeout_s, 60)
    ring_bound = now - timedelta(seconds=longest) - RING_GRACE
    answer_bound = now - ANSWERED_GRACE
    with runtime.db.session() as session:
        rows = session.execute(
            select(
                CallLeg.id,
                CallLeg.consultation_id,
                CallLeg.call_sid,
                CallLeg.status,
                CallLeg.role,
                CallLeg.created_at,
                CallLeg.answered_at,
                Consultation.state,
                Consultation.details,
            )
            .outerjoin(Consultation, Consultation.id == CallLeg.consultation_id)
            .where(
                text(f"call_legs.{NOT_ENDED}"),
                CallLeg.status != LegStatus.CREATED,
                CallLeg.call_sid.is_not(None),
                CallLeg.created_at <= max(ring_bound, answer_bound),
            )
            .order_by(CallLeg.created_at)
            .limit(BATCH * 4)
        ).all()
    found = []
    for row in rows:
        answered = row.answered_at is not None or STATUS_RANK.get(row.status, 0) >= 5
        if not answered and row.created_at <= ring_bound:
            found.append(row)
        elif answered and (row.answered_at or row.created_at) <= answer_bound:
            in_room = row.call_sid in present_in(row.state, row.details).values()
            if not in_room:  # the conference check covers those
                found.append(row)
    return found[:BATCH]


def present_in(state: S | None, d: dict[str, Any] | None) -> dict[str, str]:
    """Who an active consultation's bookkeeping says is in its conference."""
    if state is None or state not in ACTIVE_STATES:
        return {}
    return dict((d or {}).get("present") or {})


def _legs(
    runtime: Runtime, gw: calls.Gateway, now: datetime, counts: dict[str, int], until: float
) -> None:
    for row in overdue_legs(runtime, now):
        if time.monotonic() > until:
            return
        counts["legs"] += 1
        try:
            call = gw.fetch_call(row.call_sid)
        except PermanentGatewayError as exc:
            if exc.status != 404:
                counts["errors"] += 1
                log.warning("call not fetched", extra={"leg_id": row.id, "error": exc.message})
                continue
            # A CallSid Twilio gave us and no longer knows: no call is up.
            call = {"status": LegStatus.LOST, "error_code": exc.code or 20404,
                    "error_message": "the call is unknown to Twilio"}  # fmt: skip
        if apply_call(runtime, row, call, now):
            counts["reconciled"] += 1


def apply_call(
    runtime: Runtime, row: Row[*tuple[Any, ...]], call: dict[str, Any], now: datetime
) -> bool:
    """Apply what Twilio says of the leg's call, as its status callback would have.

    Returns:
        Whether the status was newer than the leg's.
    """
    status = str(call.get("status") or "")
    if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(row.status, 0):
        return False
    log.info("call status reconciled", extra={"leg_id": row.id, "from": row.status, "to": status})
    if row.consultation_id is not None and row.role is not LegRole.READOUT:
        fx = engine.advance(
            runtime,
            row.consultation_id,
            "leg_status",
            now=now,
            leg_id=row.id,
            call_sid=row.call_sid,
            status=status,
            answered_by=call.get("answered_by"),
            duration=call.get("duration"),
            error_code=call.get("error_code"),
            error_message=call.get("error_message"),
        )
        effects.apply(runtime, fx, inline=True)
        return True
    values: dict[str, Any] = {"status": status}
    if call.get("answered_by"):
        values["answered_by"] = str(call["answered_by"])
    if is_final(status):
        values["ended_at"] = now
        if str(call.get("duration") or "").isdigit():
            values["duration_seconds"] = int(call["duration"])
    with runtime.db.session() as session:
        session.execute(
            update(CallLeg).where(CallLeg.id == row.id, CallLeg.status == row.status).values(values)
        )
    return True


# ---------------------------------------------------------------------- conferences
def quiet_conferences(runtime: Runtime, now: datetime) -> list[Row[*tuple[Any, ...]]]:
    """Consultations whose conference may have changed unseen (at most BATCH)."""
    last_move = (
        select(func.max(ConsultationTransition.at))
        .where(ConsultationTransition.consultation_id == Consultation.id)
        .scalar_subquery()
    )
    with runtime.db.session() as session:
        rows: Sequence[Row[*tuple[Any, ...]]] = session.execute(
            select(
                Consultation.id,
                Consultation.state,
                Consultation.conference_name,
                Consultation.details,
                last_move.label("moved"),
            )
            .where(
                Consultation.state.in_((*CONFERENCE_STATES, *WAITING_STATES)),
                Consultation.conference_name.is_not(None),
            )
            .order_by(Consultation.id)
        ).all()
    bound = now - CONFERENCE_QUIET
    found = [
        r
        for r in rows
        if (r.state in CONFERENCE_STATES or present_in(r.state, r.details))
        and (r.moved is None or r.moved <= bound)
    ]
    return found[:BATCH]


def _conferences(
    runtime: Runtime, gw: calls.Gateway, now: datetime, counts: dict[str, int], until: float
) -> None:
    for row in quiet_conferences(runtime, now):
        if time.monotonic() > until:
            return
        counts["conferences"] += 1
        here = present_in(row.state, row.details)
        try:
            people = gw.live_participants(row.conference_name)
        except PermanentGatewayError as exc:
            counts["errors"] += 1
            log.warning("conference not listed", extra={"consultation_id": row.id,
                                                        "error": exc.message})  # fmt: skip
            continue
        left = set((row.details or {}).get("left") or [])
        counts["reconciled"] += apply_participants(runtime, row.id, here, people, now, left)


def apply_participants(
    runtime: Runtime,
    consultation_id: int,
    here: dict[str, str],
    people: list[dict[str, Any]],
    now: datetime,
    left: set[str] | frozenset[str] = frozenset(),
) -> int:
    """Apply the joins and leaves that the bookkeeping ``here`` missed, as conference events.

    ``here`` must have been read before Twilio was asked: someone it names whom Twilio no
    longer lists as connected has left since. CallSids in ``left`` (gone for the workflow,
    which never lets them back in) are not applied again.

    Returns:
        How many events were applied.
    """
    connected = {p["call_sid"]: p for p in people if p.get("status") == LIVE_CALL}
    known = set(here.values()) | set(left)
    events = [
        ("participant-join", sid, p.get("label"), p.get("conference_sid"))
        for sid, p in connected.items()
        if sid not in known
    ]
    events += [("participant-leave", sid, label, None) for label, sid in here.items()
               if sid not in connected]  # fmt: skip
    for event, sid, label, conference_sid in events:
        extra = {"consultation_id": consultation_id, "event": event, "label": label}
        log.info("conference event reconciled", extra=extra)
        fx, _ = engine.run_step(
            runtime,
            consultation_id,
            "conference",
            now=now,
            event=event,
            call_sid=sid,
            label=label,
            conference_sid=conference_sid,
        )
        effects.apply(runtime, fx, inline=True)
    return len(events)


# ---------------------------------------------------------------------- waiting legs
def waiting_legs(runtime: Runtime, now: datetime) -> list[int]:
    """Workflow legs left ``created`` a while (busy number, lost job), oldest first."""
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(CallLeg.id)
                .where(
                    text(f"call_legs.{NOT_ENDED}"),
                    CallLeg.status == LegStatus.CREATED,
                    CallLeg.call_sid.is_(None),
                    CallLeg.consultation_id.is_not(None),
                    CallLeg.role.in_(REPLACEABLE),
                    CallLeg.created_at <= now - WAITING_AFTER,
                    CallLeg.created_at >= now - WAITING_UNTIL,
                )
                .order_by(CallLeg.created_at)
                .limit(BATCH)
            )
        )


def _waiting(runtime: Runtime, now: datetime, counts: dict[str, int]) -> None:
    for leg_id in waiting_legs(runtime, now):
        try:
            if legs.place(runtime, leg_id) is not None:
                counts["placed"] += 1
        except RetryableGatewayError as exc:
            counts["errors"] += 1
            log.warning("waiting leg not placed; next pass",
                        extra={"leg_id": leg_id, "error": exc.message})  # fmt: skip
            return
