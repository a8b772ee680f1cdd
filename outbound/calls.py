"""Where every call is placed: the one module that asks the provider to dial.

Two ways in, one way out (``send``):

* **A call of its own** (the IVR's missed-call call-back, a prescription read aloud):
  the caller writes the leg with ``write_leg`` in its own transaction (its unique
  ``purpose`` is the idempotency key), commits, then ``dial``s it with a ``Call``.
* **A workflow leg** (ANM, doctor offer, patient call-back, emergency): claimed and sent
  by ``outbound/legs.py``, whose request the workflow describes (``outbound/events.py``).

Either way the number is asked first (``outbound/lines.py``: one call of ours per number
at a time) and the request goes through ``gateway(runtime)``; the provider's specifics
stay behind ``telephony/gateway.py``.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.runtime import Runtime, process_runtime
from core.timeutil import utcnow
from models import CallLeg, LegRole
from models.telephony import LegStatus
from outbound import lines
from telephony.errors import GatewayError, PermanentGatewayError
from telephony.gateway import TelephonyGateway

log = logging.getLogger(__name__)
#: The provider's gateway (Twilio today; the next provider's offers the same methods).
Gateway = TelephonyGateway
#: A gateway put in place for one runtime (tests: a shorter read timeout).
_gateways: dict[int, tuple[Runtime, Gateway]] = {}


def gateway(runtime: Runtime) -> Gateway:
    """The runtime's gateway (one per runtime, reused between jobs)."""
    chosen = _gateways.get(id(runtime))
    if chosen is not None and chosen[0] is runtime:
        return chosen[1]
    return TelephonyGateway.for_runtime(runtime)


def send(runtime: Runtime, request: dict[str, object]) -> str:
    """Ask the provider for a call (``kind``: ``call``) or a conference participant.

    Returns:
        The CallSid.

    Raises:
        GatewayError: retryable or permanent, as the gateway says.
    """
    request = dict(request)
    kind = request.pop("kind", "call")
    gw = gateway(runtime)
    if kind == "participant":
        conference = str(request.pop("conference"))
        return gw.add_participant(conference, **request)  # type: ignore[arg-type]
    return gw.place_call(**request)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Call:
    """A call of its own: whom to ring, from which line, and where the provider asks."""

    to: str
    from_: str
    url: str  # TwiML once answered
    status_callback: str  # the leg's statuses
    timeout: int = 30  # seconds of ringing

    def request(self) -> dict[str, object]:
        return {
            "kind": "call",
            "to": self.to,
            "from_": self.from_,
            "url": self.url,
            "status_callback": self.status_callback,
            "timeout": self.timeout,
        }


def write_leg(
    session: Session,
    *,
    purpose: str,
    role: LegRole,
    call: Call,
    consultation_id: int | None = None,
) -> CallLeg:
    """Write a call's leg (``queued``) in the caller's transaction; flushed, so it has an id.

    The unique ``purpose`` makes a second leg for the same call fail at the flush or the
    commit (``IntegrityError``): the caller treats that as "placed already".
    """
    leg = CallLeg(
        consultation_id=consultation_id,
        purpose=purpose,
        role=role,
        direction="outbound-api",
        from_number=call.from_,
        to_number=call.to,
        status=LegStatus.QUEUED,
    )
    session.add(leg)
    session.flush()
    return leg


def dial(runtime: Runtime, leg_id: int, call: Call) -> str | None:
    """Place committed leg ``leg_id`` (after the caller's commit).

    Returns:
        The CallSid; None when another call of ours is up on the number: then the leg,
        which never rang, is withdrawn (deleted) and its owner places it again later.

    Raises:
        Exception: the request failed (``GatewayError``: retryable or not); the leg is
        ``failed`` with the error (its purpose is spent: the request may have arrived).
    """
    if lines.take(runtime, leg_id) is not lines.Line.FREE:
        with runtime.db.session() as s:
            s.execute(delete(CallLeg).where(CallLeg.id == leg_id, CallLeg.call_sid.is_(None)))
        log.info("call waits: the number is on another of our calls", extra={"leg_id": leg_id})
        return None
    try:
        sid = send(runtime, call.request())
    except Exception as exc:
        with runtime.db.session() as s:
            failed = s.get(CallLeg, leg_id)
            if failed is not None:
                failed.status = LegStatus.FAILED
                if isinstance(exc, GatewayError):
                    failed.error_code = exc.code
                    failed.error_message = str(exc)[:500]
                else:
                    failed.error_message = repr(exc)[:500]
        raise
    with runtime.db.session() as s:
        placed = s.get(CallLeg, leg_id)
        if placed is not None:
            placed.call_sid = sid
            if placed.status == LegStatus.QUEUED:
                placed.status = LegStatus.INITIATED
            placed.started_at = utcnow()
    return sid


def redirect_call(call_sid: str, twiml: str) -> None:
    """RQ job: give a live call new TwiML (a closing message, a call-back notice)."""
    with contextlib.suppress(PermanentGatewayError):  # the call ended: nothing left to say
        gateway(process_runtime()).update_call(call_sid, twiml=twiml)


def hangup_call(call_sid: str) -> None:
    """RQ job: end a call that is no longer needed (an offer that timed out)."""
    with contextlib.suppress(PermanentGatewayError):
        gateway(process_runtime()).hangup(call_sid)
