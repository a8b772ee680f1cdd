"""The emergency SMS to the spoke's ANM, written in the webhook's transaction.

The row is written with the consultation (so it is never lost); delivery is an RQ
job enqueued after the commit, and a Redis failure there only delays it (the SMS
sweeper re-drives pending rows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.runtime import Runtime
from models import Consultation, Staff, StaffRole
from outbound.sms import enqueue_delivery, queue_sms

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


def deliver_later(runtime: Runtime, sms_id: int) -> Callable[[], None]:
    """An after-commit action: hand the SMS to the SMS engine's queue; never raises."""

    def enqueue() -> None:
        enqueue_delivery(runtime, sms_id)  # never raises; a pending row is re-driven later

    return enqueue
