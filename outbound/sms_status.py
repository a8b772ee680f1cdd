"""SMS statuses: forward-only updates, and what follows an undelivered or failed message.

Twilio's status callbacks can arrive twice or out of order; ``advance`` applies a status
only when it moves the message forward, so replays are harmless. ``after_failure``
writes the one re-send (a new row, ``attempt`` 2) or, after it, records that the
fallback is due; ``Followup.run`` acts on that after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.runtime import Runtime
from core.timeutil import utcnow
from models import AuditEvent, SmsMessage
from sms_templates.config import load_config

log = logging.getLogger(__name__)
SMS_QUEUE = "sms"

#: Order of statuses; a callback never moves a message backwards.
STATUS_RANK: dict[str, int] = {
    "pending": 0,
    "submitting": 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 3,
    "sending": 4,
    "sent": 5,
    "delivered": 6,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "read": 7,
}
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})
FAILED_STATUSES = frozenset({"undelivered", "failed"})
MAX_ATTEMPTS = 2  # the first send and one re-send


def advance(sms: SmsMessage, status: str, *, error_code: int | None = None) -> bool:
    """Apply a reported status if it moves the message forward. Returns whether it did.

    Unknown statuses, repeats, and anything after a final status are ignored, so
    duplicate and out-of-order callbacks are harmless.
    """
    rank = STATUS_RANK.get(status)
    if rank is None or sms.status in FINAL_STATUSES or rank <= STATUS_RANK.get(sms.status, 0):
        return False
    sms.status = status
    if error_code is not None:
        sms.error_code = error_code
    now = utcnow()
    if status in ("sent", "delivered") and sms.sent_at is None:
        sms.sent_at = now
    if status in ("delivered", "read"):
        sms.delivered_at = sms.delivered_at or now
    return True


@dataclass(frozen=True)
class Followup:
    """What to do after the commit: send the re-send row, or run the fallback."""

    resend_id: int | None = None
    fallback_id: int | None = None

    def run(self, runtime: Runtime) -> None:
        from outbound.sms import enqueue_delivery
        from outbound.sms_fallback import run_undeliverable

        if self.resend_id is not None:
            enqueue_delivery(
                runtime, self.resend_id, delay_seconds=load_config().retry_delay_seconds
            )
        if self.fallback_id is not None:
            try:
                runtime.queue(SMS_QUEUE).enqueue(
                    "outbound.sms_fallback.run_undeliverable", self.fallback_id, job_timeout=120
                )
            except Exception as exc:
                log.error(
                    "could not enqueue the SMS fallback; running it here",
                    extra={"sms_id": self.fallback_id, "error": repr(exc)},
                )
                run_undeliverable(self.fallback_id, runtime=runtime)


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
                status="pending",
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
