"""The emergency SMS to the spoke's ANM, written in the webhook's transaction.

The row is written with the consultation (so it is never lost); delivery is an RQ
job enqueued after the commit, and a Redis failure there only delays it (the SMS
sweeper re-drives pending rows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.runtime import Runtime
from models import Consultation, SmsMessage, Staff, StaffRole

log = logging.getLogger(__name__)
PURPOSE = "emergency_anm_alert"


def spoke_anm(s: Session, spoke_id: int | None) -> Staff | None:
    """The spoke's first-ranked active ANM."""
    if spoke_id is None:
        return None
    return s.scalars(
        select(Staff)
        .where(Staff.spoke_id == spoke_id, Staff.role == StaffRole.ANM, Staff.active.is_(True))
        .order_by(Staff.rank, Staff.id)
        .limit(1)
    ).first()


def queue_emergency_alert(s: Session, consultation_id: int, emergency_number: str) -> int | None:
    """Write the ANM's emergency SMS (status pending); returns its id, or None if no ANM."""
    consultation = s.get(Consultation, consultation_id)
    if consultation is None:
        return None
    anm = spoke_anm(s, consultation.spoke_id)
    if anm is None:
        log.warning(
            "emergency with no ANM to alert (spoke unknown or unstaffed)",
            extra={"consultation_id": consultation_id, "spoke_id": consultation.spoke_id},
        )
        return None
    context = {
        "reference": consultation.reference,
        "patient_mobile": consultation.caller_mobile,
        "danger_signs": ", ".join(consultation.danger_signs or []),
        "emergency_number": emergency_number,
    }
    key = f"c{consultation_id}:{PURPOSE}"
    try:
        from outbound.sms import queue_sms
    except ImportError:  # the SMS engine is not there yet: write the row ourselves
        sms = _write_alert_row(s, consultation, anm, context, key)
    else:
        sms = queue_sms(
            s,
            to=anm.mobile,
            purpose=PURPOSE,
            language=(anm.languages or ["hi"])[0],
            context=context,
            consultation_id=consultation_id,
            idempotency_key=key,
        )
    s.flush()
    return int(sms.id)


def _write_alert_row(
    s: Session, consultation: Consultation, anm: Staff, context: dict[str, Any], key: str
) -> SmsMessage:
    """STOP-GAP (used only while ``outbound.sms.queue_sms`` does not exist).

    Writes the pending SmsMessage directly, with a plain English GSM-7 body, so the
    alert is recorded and can be sent by the SMS engine's sweeper once it exists.
    """
    existing = s.scalars(select(SmsMessage).where(SmsMessage.idempotency_key == key)).first()
    if existing is not None:
        return existing
    body = (
        f"Sampark EMERGENCY ref {context['reference']}: patient {context['patient_mobile']}, "
        f"danger signs: {context['danger_signs']}. Advised hospital/"
        f"{context['emergency_number']}. Please call the patient now."
    )
    sms = SmsMessage(
        consultation_id=consultation.id,
        purpose=PURPOSE,
        idempotency_key=key,
        to_number=anm.mobile,
        template=PURPOSE,
        language="en",
        script="roman",
        body=body,
        encoding="GSM-7",
        segments=(len(body) + 152) // 153 if len(body) > 160 else 1,
        status="pending",
    )
    s.add(sms)
    return sms


def deliver_later(runtime: Runtime, sms_id: int) -> Callable[[], None]:
    """An after-commit action: hand the SMS to the SMS engine's queue; never raises."""

    def enqueue() -> None:
        try:
            from outbound.sms import enqueue_delivery
        except ImportError:
            log.warning(
                "SMS engine missing: emergency alert left pending", extra={"sms_id": sms_id}
            )
            return
        enqueue_delivery(runtime, sms_id)  # never raises; a pending row is re-driven later

    return enqueue
