"""Outbound SMS: write the message with the caller's transaction, send it from a worker,
track it from Twilio's status callbacks, re-send once, then hand over to a fallback.

Life of an ``SmsMessage`` (``status``, an ``SmsStatus``, only ever moves forward, whatever
order Twilio's callbacks arrive in):

    pending -> submitting -> queued -> sending -> sent -> delivered
                                                      \\-> undelivered | failed

1. ``queue_sms(session, ...)`` renders the template and adds the row (``pending``) in the
   caller's transaction; the same ``idempotency_key`` returns the same row. The number
   stored with it is the consultation's dial-in line (``outbound.caller_id``), else the
   DLT sender header; what goes in Twilio's From is decided when it is sent (``sender_for``:
   the configured outbound number first).
2. After commit, ``enqueue_delivery(runtime, sms_id)`` puts ``deliver_pending`` on the
   ``<prefix>-sms`` RQ queue; it never raises (Redis down: the row stays ``pending``).
3. ``deliver_pending`` (``outbound/sms_delivery.py``) claims the row, calls
   ``TelephonyGateway.send_sms`` and stores the MessageSid. A retryable error (timeout,
   429, 5xx) is retried by RQ (``sms.send_retry_intervals``); a permanent one (invalid
   number...) fails the row.
4. ``POST /sms/status`` (``outbound/sms_webhook.py``) applies Twilio's statuses.
5. An undelivered or failed first attempt is re-sent ONCE as a new row (``attempt`` 2,
   key ``<key>#r2``). When that one fails too (or a send is refused permanently), the
   fallback runs: ``on_sms_undeliverable(runtime, sms)`` calls the handlers registered
   for the purpose (e.g. a phone call that reads the prescription aloud).

Statuses and the re-send decision live in ``outbound/sms_status.py``; the fallback
registry in ``outbound/sms_fallback.py`` (both re-exported here): the owner of a purpose
calls ``register_undeliverable_handler(purpose, fn)`` in ``sampark/wiring.py``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.phones import InvalidPhoneNumber, is_mobile, normalize
from core.runtime import Runtime
from core.timeutil import utcnow
from models import Consultation, Patient, SmsMessage, SmsStatus
from outbound.caller_id import registered_caller_id
from outbound.sms_delivery import (
    deliver,
    deliver_pending,
    enqueue_delivery,
    run_followup,
    sender_for,
    status_callback_url,
)
from outbound.sms_fallback import (
    on_sms_undeliverable,
    register_undeliverable_handler,
    run_undeliverable,
    undeliverable_handlers,
    unregister_undeliverable_handler,
)
from outbound.sms_status import (
    FAILED_STATUSES,
    FINAL_STATUSES,
    MAX_ATTEMPTS,
    SMS_QUEUE,
    STATUS_RANK,
    advance,
    after_failure,
)
from sms_templates import choose_script, render
from sms_templates.config import load_config
from telephony.errors import mask_number

log = logging.getLogger(__name__)


class NotAMobileNumber(ValueError):
    """SMS can only go to a mobile; the message names the number."""


# --------------------------------------------------------------------------- queueing
def _resolve_number(raw: str) -> str:
    try:
        e164 = normalize(raw)
    except InvalidPhoneNumber as exc:
        raise NotAMobileNumber(f"{exc}: cannot send an SMS to it") from exc
    if not is_mobile(e164):
        raise NotAMobileNumber(
            f"{raw!r} is not a mobile number (a landline or service number cannot get SMS)"
        )
    return e164


def _recipient_script(
    session: Session, to: str, language: str, consultation: Consultation | None
) -> str:
    patient: Patient | None = None
    if consultation is not None and consultation.patient_id is not None:
        patient = session.get(Patient, consultation.patient_id)
        if patient is not None and patient.mobile != to:
            patient = None
    if patient is None:
        patient = session.scalar(
            select(Patient)
            .where(Patient.mobile == to, Patient.caregiver_id.is_(None))
            .order_by(Patient.id)
        )
    return choose_script(patient, language)


def _stored_sender(session: Session, consultation: Consultation | None) -> str:
    return registered_caller_id(session, consultation) or load_config().dlt_header


def queue_sms(
    session: Session,
    *,
    to: str,
    purpose: str,
    language: str,
    context: dict[str, Any],
    script: str | None = None,
    consultation_id: int | None = None,
    prescription_id: int | None = None,
    idempotency_key: str,
    from_: str | None = None,
) -> SmsMessage:
    """Render and store an SMS (status ``pending``) in the caller's transaction.

    Call ``enqueue_delivery(runtime, sms.id)`` after the commit to send it.

    Args:
        to: the recipient, in any usual Indian form; must be a mobile.
        purpose, language, context: what ``sms_templates.render`` needs.
        script: native or roman; None: the patient's remembered choice (by the
            consultation's patient or by the number), else the default.
        idempotency_key: the same key returns the row already written (e.g.
            ``rx:42:patient``), so a retried job never sends twice.
        from_: the number to store as the sender; default the consultation's dial-in
            line (``outbound.caller_id.dial_in_line``), else the DLT sender header.
            ``sender_for`` turns it into Twilio's From when it is sent (the configured
            outbound number, ``OUTBOUND_CALLER_ID``, wins there).

    Raises:
        NotAMobileNumber: ``to`` is invalid or not a mobile.
        sms_templates.UnknownTemplate / MissingContext: a programming error.
    """
    existing = session.scalar(
        select(SmsMessage).where(SmsMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    to_e164 = _resolve_number(to)
    consultation = session.get(Consultation, consultation_id) if consultation_id else None
    if script is None:
        script = _recipient_script(session, to_e164, language, consultation)
    rendered = render(purpose, language, script, **context)
    row = SmsMessage(
        purpose=purpose,
        idempotency_key=idempotency_key,
        consultation_id=consultation_id,
        prescription_id=prescription_id,
        to_number=to_e164,
        from_number=from_ or _stored_sender(session, consultation),
        template=rendered.template,
        dlt_template_id=rendered.dlt_template_id,
        language=rendered.language,
        script=rendered.script,
        body=rendered.body,
        encoding=rendered.encoding,
        segments=rendered.segments,
        status=SmsStatus.PENDING,
        attempt=1,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another transaction wrote the same key first (and committed).
        winner = session.scalar(
            select(SmsMessage).where(SmsMessage.idempotency_key == idempotency_key)
        )
        if winner is None:
            raise
        return winner
    log.info(
        "sms queued",
        extra={
            "sms_id": row.id,
            "purpose": purpose,
            "to": mask_number(to_e164),
            "encoding": rendered.encoding,
            "segments": rendered.segments,
        },
    )
    return row


def redrive_pending(
    runtime: Runtime, *, older_than_seconds: int = 120, stuck_after_seconds: int = 600
) -> int:
    """Enqueue every SMS still ``pending`` after ``older_than_seconds`` (the sweeper calls it).

    A row left ``submitting`` for ``stuck_after_seconds`` (its worker died during the
    REST request) goes back to ``pending`` and is sent again: for a prescription a
    rare duplicate SMS is better than none. Re-sends wait their configured delay.
    """
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    resend_cutoff = cutoff - timedelta(seconds=load_config().retry_delay_seconds)
    with runtime.db.session() as session:
        stuck = list(
            session.scalars(
                select(SmsMessage).where(
                    SmsMessage.status == SmsStatus.SUBMITTING,
                    SmsMessage.provider_sid.is_(None),
                    SmsMessage.created_at < now - timedelta(seconds=stuck_after_seconds),
                )
            )
        )
        for sms in stuck:
            log.warning("SMS stuck while submitting: sending it again", extra={"sms_id": sms.id})
            sms.status = SmsStatus.PENDING
        ids = list(
            session.scalars(
                select(SmsMessage.id).where(
                    SmsMessage.status == SmsStatus.PENDING,
                    ((SmsMessage.attempt == 1) & (SmsMessage.created_at < cutoff))
                    | ((SmsMessage.attempt > 1) & (SmsMessage.created_at < resend_cutoff)),
                )
            )
        )
    return sum(enqueue_delivery(runtime, sms_id) for sms_id in ids)


__all__ = [
    "FAILED_STATUSES",
    "FINAL_STATUSES",
    "MAX_ATTEMPTS",
    "SMS_QUEUE",
    "STATUS_RANK",
    "NotAMobileNumber",
    "advance",
    "after_failure",
    "deliver",
    "deliver_pending",
    "enqueue_delivery",
    "on_sms_undeliverable",
    "queue_sms",
    "redrive_pending",
    "register_undeliverable_handler",
    "run_followup",
    "run_undeliverable",
    "sender_for",
    "status_callback_url",
    "undeliverable_handlers",
    "unregister_undeliverable_handler",
]
