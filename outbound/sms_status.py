"""SMS statuses: forward-only updates, and what follows an undelivered or failed message.

Twilio's status callbacks can arrive twice or out of order; ``advance`` applies a status
only when it moves the message forward, so replays are harmless. ``after_failure``
writes the one re-send (a new row, ``attempt`` 2) or, after it, records that the
fallback is due; ``outbound.sms_delivery.run_followup`` acts on that after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from models import AuditEvent, SmsMessage, SmsStatus

SMS_QUEUE = "sms"

#: Order of statuses; a callback never moves a message backwards.
STATUS_RANK: dict[str, int] = {
    SmsStatus.PENDING: 0,
    SmsStatus.SUBMITTING: 1,
    SmsStatus.ACCEPTED: 2,
    SmsStatus.SCHEDULED: 2,
    SmsStatus.QUEUED: 3,
    SmsStatus.SENDING: 4,
    SmsStatus.SENT: 5,
    SmsStatus.DELIVERED: 6,
    SmsStatus.UNDELIVERED: 6,
    SmsStatus.FAILED: 6,
    SmsStatus.CANCELED: 6,
    SmsStatus.READ: 7,
}
FINAL_STATUSES = frozenset(
    {
        SmsStatus.DELIVERED,
        SmsStatus.UNDELIVERED,
        SmsStatus.FAILED,
        SmsStatus.CANCELED,
        SmsStatus.READ,
    }
)
FAILED_STATUSES = frozenset({SmsStatus.UNDELIVERED, SmsStatus.FAILED})
MAX_ATTEMPTS = 2  # the first send and one re-send


def advance(sms: SmsMessage, status: str, *, error_code: int | None = None) -> bool:
    """Apply a reported status if it moves the message forward. Returns whether it did.

    Unknown statuses, repeats, and anything after a final status are ignored, so
    duplicate and out-of-order callbacks are harmless.
    """
    rank = STATUS_RANK.get(status)
    if rank is None or sms.status in FINAL_STATUSES or rank <= STATUS_RANK.get(sms.status, 0):
        return False
    sms.status = SmsStatus(status)
    if error_code is not None:
        sms.error_code = error_code
    now = utcnow()
    if status in (SmsStatus.SENT, SmsStatus.DELIVERED) and sms.sent_at is None:
        sms.sent_at = now
    if status in (SmsStatus.DELIVERED, SmsStatus.READ):
        sms.delivered_at = sms.delivered_at or now
    return True


@dataclass(frozen=True)
class Followup:
    """What to do after the commit: send the re-send row, or run the fallback."""

    resend_id: int | None = None
    fallback_id: int | None = None


def after_failure(session: Session, sms: SmsMessage, *, resend: bool = True) -> Followup:
    """Decide what follows an undelivered/failed message (in the same transaction).

    The first attempt gets one re-send (a new row, ``attempt`` 2); after that, or when
    ``resend`` is False (a permanent refusal), the fallback handlers run.
    """
    if resend and sms.attempt < MAX_ATTEMPTS:
        key = f"{(sms.idempotency_key or f'sms{sms.id}')[:112]}#r{sms.attempt + 1}"
        again = session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == key))
        if again is None:
            again = SmsMessage(
                purpose=sms.purpose,
                idempotency_key=key,
                consultation_id=sms.consultation_id,
                prescription_id=sms.prescription_id,
                to_number=sms.to_number,
                from_number=sms.from_number,
                template=sms.template,
                dlt_template_id=sms.dlt_template_id,
                language=sms.language,
                script=sms.script,
                body=sms.body,
                encoding=sms.encoding,
                segments=sms.segments,
                status=SmsStatus.PENDING,
                attempt=sms.attempt + 1,
            )
            session.add(again)
            session.flush()
        return Followup(resend_id=again.id)
    session.add(
        AuditEvent(
            action="sms.undeliverable",
            subject_type="sms_message",
            subject_id=sms.id,
            detail={
                "purpose": sms.purpose,
                "attempt": sms.attempt,
                "status": sms.status,
                "error_code": sms.error_code,
                "consultation_id": sms.consultation_id,
                "prescription_id": sms.prescription_id,
            },
        )
    )
    return Followup(fallback_id=sms.id)
