"""Placing a workflow's call leg, at most once per purpose.

The rule (documented in the README of this package's tests and the report):

1. The leg row, with its unique ``purpose``, is committed before any request.
2. One worker *claims* it: ``UPDATE ... SET status='dialing' WHERE status='created'``;
   a second worker (a retried or duplicated job) finds nothing to claim and stops.
   A worker's own step (``engine.run_step(claim=True)``) writes the legs it creates
   as ``dialing`` in the step's transaction, on the row lock, and places them right
   after that commit: the same claim, one transaction fewer. In ``sampark worker
   --simple`` the requests go out on the process's leg sender threads
   (``outbound/sender.py``), so the job does not wait on Twilio; the rules are the same.
3. A retryable gateway error (429, 5xx, a refused or timed-out connection) means
   Twilio did not create the call: the claim is released (``dialing`` -> ``created``)
   and RQ retries the job with backoff. A request that went out with no answer (a read
   timeout, a connection lost mid-request) or any other exception keeps the claim:
   Twilio may have created the call, so rule 5 applies.
4. A permanent error ends the leg (``failed``, with Twilio's code) and the
   workflow moves on as for any failed call.
5. A leg that has a CallSid is never placed again. A worker killed between the
   claim and the REST answer leaves ``dialing`` with no CallSid: that leg is *not*
   placed again (at most once). If Twilio did create it, its webhooks carry the
   leg id in their URL and the CallSid is adopted; if not, the state's deadline
   passes and the workflow moves on with a new purpose (the leg ends as ``lost``).
6. One call per number (``outbound/lines.py``): a leg whose number another of our
   calls may still be on is not sent. A patient's leg is released (``created``) and the
   sweeper's reconciliation (``workflows/reconcile.py``) places it once the number is
   free, if the consultation still wants it; a staff member's ends as ``busy`` at once.

What only the workflow knows (the request of a leg, whether it is still wanted) is asked
of it through ``outbound/events.py``; a leg ended here (refused, a busy line) goes back to
it as the status event its callback would have carried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from rq import Retry
from sqlalchemy import and_, bindparam, case, func, update

from core.runtime import Runtime, process_runtime
from models import CallLeg, LegRole
from models.telephony import LegStatus
from outbound import calls, events, lines
from telephony.errors import PermanentGatewayError, RetryableGatewayError

log = logging.getLogger(__name__)
#: The queue of a leg's retried placement (the workflow's: people are waiting).
QUEUE = "workflow"
#: Backoff for calls to Twilio that failed in a retryable way (seconds).
GATEWAY_RETRY = Retry(max=6, interval=[1, 2, 5, 10, 30, 60])
JOB_TIMEOUT = 60
LINE_BUSY = "line busy: on another of our calls"
#: The CallSid and ``queued``, in one statement (a webhook may have adopted the sid first).
_PLACED = (
    update(CallLeg)
    .where(CallLeg.id == bindparam("leg_id"))
    .values(
        call_sid=func.coalesce(CallLeg.call_sid, bindparam("sid")),
        status=case((CallLeg.status == LegStatus.DIALING, LegStatus.QUEUED), else_=CallLeg.status),
    )
)


def _claim(runtime: Runtime, leg_id: int) -> dict[str, object] | None:
    """Claim the leg for dialling and describe the request, or None if not ours to place."""
    with runtime.db.session() as session:
        claimed = session.execute(
            update(CallLeg)
            .where(
                CallLeg.id == leg_id,
                CallLeg.status == LegStatus.CREATED,
                CallLeg.call_sid.is_(None),
            )
            .values(status=LegStatus.DIALING)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        leg = session.get_one(CallLeg, leg_id)
        request = events.describe(runtime, session, leg)
        if request is None:  # the consultation has moved on
            leg.status, leg.outcome = LegStatus.CANCELED, leg.outcome or "not-needed"
        return request


def place(runtime: Runtime, leg_id: int) -> str | None:
    """Place leg ``leg_id`` unless it was placed already or is no longer needed.

    Returns:
        The CallSid, or None when nothing was placed.

    Raises:
        RetryableGatewayError: Twilio may accept it later (the caller retries).
    """
    request = _claim(runtime, leg_id)
    if request is None:
        return None
    return send(runtime, leg_id, request)


def place_leg(leg_id: int) -> str | None:
    """RQ job: place one call leg (retried with backoff on retryable gateway errors)."""
    return place(process_runtime(), leg_id)


def send(runtime: Runtime, leg_id: int, request: dict[str, object]) -> str | None:
    """Send the request of a leg this process has claimed; store the CallSid.

    A retryable failure releases the claim (``dialing`` -> ``created``) and raises,
    so the caller retries; a permanent one ends the leg and moves the workflow on. A leg
    whose number is busy with another of our calls is not sent (rule 6).
    """
    line = lines.take(runtime, leg_id)  # another call of ours to this number is up? (rule 6)
    if line is lines.Line.WAIT:
        _release(runtime, leg_id)  # placed by the sweeper once the number is free
        return None
    if line is lines.Line.BUSY:
        _line_busy(runtime, leg_id)
        return None
    try:
        sid = calls.send(runtime, request)
    except RetryableGatewayError as exc:
        if exc.outcome_unknown:  # Twilio may have placed it: never again (rule 5)
            log.warning(
                "no answer to a leg's request; it is not placed again",
                extra={"leg_id": leg_id, "error": exc.message},
            )
            return None
        _release(runtime, leg_id)
        raise
    except PermanentGatewayError as exc:
        log.warning("leg refused by Twilio", extra={"leg_id": leg_id, "error": exc.message})
        _ended(runtime, leg_id, LegStatus.FAILED, exc.code or 0, exc.message)
        return None
    with runtime.db.autocommit() as conn:  # one statement, committed by itself
        conn.execute(_PLACED, {"leg_id": leg_id, "sid": sid})
    return sid


def enqueue_place(runtime: Runtime, leg_id: int) -> None:
    """Queue ``place_leg`` with backoff (never raises: the state's deadline catches up)."""
    try:
        runtime.queue(QUEUE).enqueue(
            place_leg, leg_id, retry=GATEWAY_RETRY, job_timeout=JOB_TIMEOUT
        )
    except Exception as exc:
        log.error(
            "workflow effect not scheduled; the sweeper will re-drive it",
            extra={"effect": "place_leg", "error": repr(exc)},
        )


def _placing(runtime: Runtime, leg_id: int, attempt: Callable[[], Any]) -> None:
    """Place a leg now; on failure its claim is released and a retried job takes over."""
    try:
        attempt()
        return
    except RetryableGatewayError as exc:
        log.warning(
            "placing a leg failed; retrying", extra={"leg_id": leg_id, "error": exc.message}
        )
    except Exception as exc:
        log.error("placing a leg failed", extra={"leg_id": leg_id, "error": repr(exc)})
    enqueue_place(runtime, leg_id)


def send_claimed(runtime: Runtime, leg_id: int, request: dict[str, Any]) -> None:
    """Send the request of a leg this process claimed (on a retryable failure, a job retries)."""
    _placing(runtime, leg_id, partial(send, runtime, leg_id, request))


def place_now(runtime: Runtime, leg_id: int) -> None:
    """Claim and place a leg now (on a retryable failure, a job retries)."""
    _placing(runtime, leg_id, partial(place, runtime, leg_id))


def _release(runtime: Runtime, leg_id: int) -> None:
    """Give the claim back: the leg was not sent (nor is it up for the number's guard)."""
    with runtime.db.session() as session:
        session.execute(
            update(CallLeg)
            .where(
                CallLeg.id == leg_id,
                CallLeg.status == LegStatus.DIALING,
                CallLeg.call_sid.is_(None),
            )
            .values(status=LegStatus.CREATED, started_at=None)
        )


def _line_busy(runtime: Runtime, leg_id: int) -> None:
    """A staff member's number is on another of our calls: the leg ends ``busy`` at once.

    An ANM is skipped for the next one now. A doctor's offer is marked ``line-busy`` first,
    so it is not counted as an offer she missed (three in a row set her unavailable): our
    own other call is not her fault; the consultation looks again at the offer's deadline.
    """
    offer = and_(CallLeg.role == LegRole.DOCTOR_OFFER, CallLeg.outcome.is_(None))
    with runtime.db.session() as session:
        session.execute(
            update(CallLeg)
            .where(CallLeg.id == leg_id)
            .values(
                outcome=case((offer, "line-busy"), else_=CallLeg.outcome),
                error_message=LINE_BUSY,  # kept: a busy status carries no error code
            )
        )
    _ended(runtime, leg_id, LegStatus.BUSY, 0, LINE_BUSY)


def _ended(runtime: Runtime, leg_id: int, status: LegStatus, code: int, message: str) -> None:
    """A leg that will not be placed (refused by Twilio, or a busy line): its owner hears
    it ended with ``status``, as from its status callback, and moves on."""
    with runtime.db.session() as session:
        cid = session.get_one(CallLeg, leg_id).consultation_id
    if cid is None:
        return
    events.report(runtime, events.LegEnded(leg_id, cid, status, code, message))
