"""Placing a call leg through the gateway, at most once per purpose.

The rule (documented in the README of this package's tests and the report):

1. The leg row, with its unique ``purpose``, is committed before any request.
2. One worker *claims* it: ``UPDATE ... SET status='dialing' WHERE status='created'``;
   a second worker (a retried or duplicated job) finds nothing to claim and stops.
   A worker's own step (``engine.run_step(claim=True)``) writes the legs it creates
   as ``dialing`` in the step's transaction, on the row lock, and places them right
   after that commit: the same claim, one transaction fewer. In ``sampark worker
   --simple`` the requests go out on the process's leg sender threads
   (``workflows/sender.py``), so the job does not wait on Twilio; the rules are the same.
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
6. One call per number (``workflows/lines.py``): a leg whose number another of our
   calls may still be on is not sent. A patient's leg is released (``created``) and the
   sweeper's reconciliation (``workflows/reconcile.py``) places it once the number is
   free, if the consultation still wants it; a staff member's ends as ``busy`` at once.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, bindparam, case, func, update

from core.runtime import Runtime
from models import CallLeg, Consultation, ConsultationState, LegRole
from telephony.errors import PermanentGatewayError, RetryableGatewayError
from telephony.gateway import TelephonyGateway
from workflows import lines, urls
from workflows.config import workflow_config
from workflows.store import details

log = logging.getLogger(__name__)
S = ConsultationState
CALL_EVENTS = ("answered", "completed")  # the workflow needs no more (fewer webhooks)
_gateways: dict[int, tuple[Runtime, TelephonyGateway]] = {}
LINE_BUSY = "line busy: on another of our calls"
#: The CallSid and ``queued``, in one statement (a webhook may have adopted the sid first).
_PLACED = (
    update(CallLeg)
    .where(CallLeg.id == bindparam("leg_id"))
    .values(
        call_sid=func.coalesce(CallLeg.call_sid, bindparam("sid")),
        status=case((CallLeg.status == "dialing", "queued"), else_=CallLeg.status),
    )
)


def gateway(runtime: Runtime) -> TelephonyGateway:
    """The runtime's gateway (one per runtime, reused between jobs)."""
    key = id(runtime)
    if key not in _gateways:
        _gateways[key] = (runtime, TelephonyGateway.for_runtime(runtime))
    return _gateways[key][1]


def wanted(c: Consultation, leg: CallLeg) -> bool:
    """Whether the consultation still needs this leg (it may have moved on)."""
    d = details(c)
    if leg.role is LegRole.DOCTOR_OFFER:
        return c.state is S.FINDING_DOCTOR and d.get("offer_leg") == leg.id
    if leg.role is LegRole.PATIENT_CALLBACK and d.get("restart_leg") == leg.id:
        return c.state is S.ABANDONED  # the call-back offering to restart the intake
    if leg.role is LegRole.PATIENT_CALLBACK:
        return c.state is S.BRIDGING and d.get("patient_leg") == leg.id
    if leg.role is LegRole.ANM and d.get("anm_join_leg") == leg.id:
        return c.state in (S.BRIDGING, S.IN_CONFERENCE)
    if leg.role is LegRole.ANM:
        return c.state is S.CALLING_ANM and d.get("anm_leg") == leg.id
    return True


def describe(runtime: Runtime, c: Consultation, leg: CallLeg) -> dict[str, object]:
    """The gateway request that places ``leg`` (with ``kind``: a call or a participant)."""
    cfg = workflow_config(runtime.settings)
    base = runtime.settings.public_base_url
    request: dict[str, object] = {
        "to": leg.to_number,
        "from_": leg.from_number,
        "status_callback": urls.leg_status(base, leg.id),
        "status_events": CALL_EVENTS,
    }
    if leg.role is LegRole.ANM and details(c).get("anm_join_leg") == leg.id:
        return request | {
            "kind": "participant",
            "conference": c.conference_name or f"sampark-{c.reference}",
            "label": "anm",
            "start_on_enter": True,
            "end_on_exit": False,
            "wait_url": urls.wait_music(base, c.language or "hi"),
            "timeout": cfg.anm_ring_timeout_s,
            "conference_status_callback": urls.conference_events(base, c.id),
            "conference_events": ("end", "join", "leave"),
        }
    timeout = {
        LegRole.ANM: cfg.anm_ring_timeout_s,
        LegRole.DOCTOR_OFFER: cfg.offer_timeout_s,
        LegRole.PATIENT_CALLBACK: cfg.patient_ring_timeout_s,
    }.get(leg.role, 30)
    request |= {"kind": "call", "url": urls.leg_answer(base, leg.id), "timeout": timeout}
    if leg.role is LegRole.PATIENT_CALLBACK:
        request["machine_detection"] = "Enable"
    return request


def _claim(runtime: Runtime, leg_id: int) -> dict[str, object] | None:
    """Claim the leg for dialling and describe the request, or None if not ours to place."""
    with runtime.db.session() as session:
        claimed = session.execute(
            update(CallLeg)
            .where(CallLeg.id == leg_id, CallLeg.status == "created", CallLeg.call_sid.is_(None))
            .values(status="dialing")
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        leg = session.get_one(CallLeg, leg_id)
        c = session.get_one(Consultation, leg.consultation_id)
        if not wanted(c, leg):
            leg.status, leg.outcome = "canceled", leg.outcome or "not-needed"
            return None
        return describe(runtime, c, leg)


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


def send(runtime: Runtime, leg_id: int, request: dict[str, object]) -> str | None:
    """Send the request of a leg this process has claimed; store the CallSid.

    A retryable failure releases the claim (``dialing`` -> ``created``) and raises,
    so the caller retries; a permanent one ends the leg and moves the workflow on. A leg
    whose number is busy with another of our calls is not sent (rule 6).
    """
    request = dict(request)
    kind = request.pop("kind")
    line = lines.take(runtime, leg_id)  # another call of ours to this number is up? (rule 6)
    if line is lines.Line.WAIT:
        _release(runtime, leg_id)  # placed by the sweeper once the number is free
        return None
    if line is lines.Line.BUSY:
        _line_busy(runtime, leg_id)
        return None
    gw = gateway(runtime)
    try:
        if kind == "participant":
            conference = str(request.pop("conference"))
            sid = gw.add_participant(conference, **request)  # type: ignore[arg-type]
        else:
            sid = gw.place_call(**request)  # type: ignore[arg-type]
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
        _ended(runtime, leg_id, "failed", exc.code or 0, exc.message)
        return None
    with runtime.db.autocommit() as conn:  # one statement, committed by itself
        conn.execute(_PLACED, {"leg_id": leg_id, "sid": sid})
    return sid


def _release(runtime: Runtime, leg_id: int) -> None:
    """Give the claim back: the leg was not sent (nor is it up for the number's guard)."""
    with runtime.db.session() as session:
        session.execute(
            update(CallLeg)
            .where(CallLeg.id == leg_id, CallLeg.status == "dialing", CallLeg.call_sid.is_(None))
            .values(status="created", started_at=None)
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
    _ended(runtime, leg_id, "busy", 0, LINE_BUSY)


def _ended(runtime: Runtime, leg_id: int, status: str, code: int, message: str) -> None:
    """A leg that will not be placed (refused by Twilio, or a busy line): end it with
    ``status`` and let the workflow move on as for a call that ended so."""
    from workflows import effects, engine

    with runtime.db.session() as session:
        cid = session.get_one(CallLeg, leg_id).consultation_id
    if cid is None:
        return
    fx = engine.advance(
        runtime,
        cid,
        "leg_status",
        leg_id=leg_id,
        status=status,
        error_code=code,
        error_message=message,
    )
    effects.apply(runtime, fx, inline=True)
