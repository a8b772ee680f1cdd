"""RX verification by SMS: ``POST /sms/inbound`` answers ``RX <code>``.

A registered, active ANM or pharmacist who texts ``RX <code>`` to a service number gets
who issued the prescription, when, and whether it is current. Any other number gets one
neutral reply a day that says nothing about any patient, and the attempt is written to
the audit log. Other texts get no reply (no loops with auto-responders).

The reply is an SMS queued with ``outbound.sms.queue_sms``, not a TwiML ``<Message>``: it
is the same DLT-registered template as every other SMS, its delivery is tracked and
re-sent like theirs, it is idempotent on the inbound MessageSid (Twilio may post a
webhook twice), and the webhook answers at once even if the database is slow.

The webhook verifies Twilio's signature and always answers valid, empty TwiML.
(Delivery reports for every SMS are ``outbound/sms_webhook.py``'s.)
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from core.phones import InvalidPhoneNumber, normalize
from core.runtime import Runtime, current_runtime
from core.timeutil import to_ist, utcnow
from models import AuditEvent, Prescription, Staff
from models.district import rx_verifier
from outbound.sms import NotAMobileNumber, enqueue_delivery, queue_sms
from prescriptions.recipients import SMS_LANGUAGES
from telephony.errors import mask_number
from telephony.webhooks import twilio_webhook

log = logging.getLogger(__name__)
bp = Blueprint("rx_verify", __name__)

RX_COMMAND = re.compile(r"^\s*RX\b[\s:#.-]*([A-Za-z0-9][A-Za-z0-9 -]{1,20})\s*$", re.IGNORECASE)


def _twiml() -> Response:
    return Response(str(MessagingResponse()), mimetype="text/xml")


@dataclass(frozen=True)
class RxQuery:
    """An inbound ``RX <code>`` and what it was answered with."""

    code: str
    answered: bool  # a registered verifier asked
    found: bool
    reply_id: int | None


def parse_rx(body: str) -> str | None:
    """The code of ``RX <code>`` (any case, ``RX:K7`` or ``rx k7 2p``), else None."""
    match = RX_COMMAND.match(body or "")
    if not match:
        return None
    code = "".join(ch for ch in match.group(1).upper() if ch.isalnum())
    return code or None


def _verifier(session: Session, mobile: str) -> Staff | None:
    return session.scalar(select(Staff).where(rx_verifier(mobile)))  # the call's rule too


def _reply_context(rx: Prescription | None, code: str) -> dict[str, Any]:
    if rx is None:
        return {"code": code, "found": False}
    return {
        "code": rx.code,
        "found": True,
        "doctor_name": rx.doctor_name,
        "doctor_registration": rx.doctor_registration,
        "hub_name": rx.hub_name,
        "issued_at": rx.issued_at,
        "current": rx.superseded_at is None,
        "superseded_at": rx.superseded_at,
    }


def answer_rx(
    session: Session,
    *,
    from_number: str,
    code: str,
    message_sid: str,
    our_number: str | None = None,
) -> RxQuery:
    """Answer ``RX <code>`` from ``from_number`` (in the caller's transaction).

    The reply comes from ``our_number`` (the number that was texted) when given.
    """
    staff = _verifier(session, from_number)
    if staff is None:
        session.add(
            AuditEvent(
                actor=f"sms:{mask_number(from_number)}",
                action="rx_verify.refused",
                subject_type="prescription",
                subject_id=None,
                detail={"code": code[:20], "from": from_number, "message_sid": message_sid},
            )
        )
        day = to_ist(utcnow()).date().isoformat()
        try:
            reply = queue_sms(
                session,
                to=from_number,
                purpose="rx_verify_refused",
                language="hi",
                script="roman",  # GSM-7: readable on any phone
                context={},
                idempotency_key=f"rx-refused:{from_number}:{day}",  # at most one a day
                from_=our_number,
            )
        except NotAMobileNumber:
            return RxQuery(code, answered=False, found=False, reply_id=None)
        return RxQuery(code, answered=False, found=False, reply_id=reply.id)
    rx = session.scalar(select(Prescription).where(func.upper(Prescription.code) == code))
    language = next((lang for lang in staff.languages or [] if lang in SMS_LANGUAGES), "hi")
    session.add(
        AuditEvent(
            actor_staff_id=staff.id,
            actor=staff.code,
            action="rx_verify.answered",
            subject_type="prescription",
            subject_id=rx.id if rx else None,
            detail={"code": code, "found": rx is not None, "message_sid": message_sid},
        )
    )
    try:
        reply = queue_sms(
            session,
            to=from_number,
            purpose="rx_verify_reply",
            language=language,
            context=_reply_context(rx, code),
            prescription_id=rx.id if rx else None,
            from_=our_number,
            idempotency_key=f"rx-verify:{message_sid or from_number + ':' + utcnow().isoformat()}",
        )
    except NotAMobileNumber:
        return RxQuery(code, answered=True, found=rx is not None, reply_id=None)
    return RxQuery(code, answered=True, found=rx is not None, reply_id=reply.id)


def handle_inbound(
    runtime: Runtime, *, from_raw: str, body: str, message_sid: str, to: str | None = None
) -> RxQuery | None:
    """Act on one inbound SMS; returns the RX query it answered, if any."""
    code = parse_rx(body)
    if code is None:
        log.info("inbound SMS ignored (not a command)", extra={"from": mask_number(from_raw)})
        return None
    try:
        from_number = normalize(from_raw)
    except InvalidPhoneNumber:
        log.info("RX query from an invalid number", extra={"from": mask_number(from_raw)})
        return None
    with runtime.db.session() as session:
        result = answer_rx(
            session, from_number=from_number, code=code, message_sid=message_sid, our_number=to
        )
    if result.reply_id is not None:
        enqueue_delivery(runtime, result.reply_id)
    return result


@bp.post("/sms/inbound")
@twilio_webhook
def sms_inbound() -> Response:
    """Twilio's incoming-message webhook for the service numbers."""
    form = request.form
    try:
        handle_inbound(
            current_runtime(),
            from_raw=form.get("From", ""),
            body=form.get("Body", ""),
            message_sid=form.get("MessageSid") or form.get("SmsSid") or "",
            to=form.get("To") or None,
        )
    except Exception:
        log.exception(
            "could not handle an inbound SMS", extra={"from": mask_number(form.get("From"))}
        )
    return _twiml()
