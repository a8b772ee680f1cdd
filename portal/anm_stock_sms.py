"""The SMS that asks the prescribing doctor for an alternative when the ANM finds medicines
not in stock (``doctor_rx_not_in_stock``): who said so (the ANM, the HWC), which medicines,
and the link to the prescription's correct page.

One SMS per "Not in stock" row: its idempotency key is the row's id, and a double-posted
form writes no second row (``portal.anm_dispense``), so it queues nothing either.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from core.phones import reach
from core.runtime import Runtime
from models import Prescription, PrescriptionDispensing, PrescriptionItem, Staff
from outbound.sms import NotAMobileNumber, enqueue_delivery, queue_sms
from workflows.people import staff_language

log = logging.getLogger(__name__)

PURPOSE = "doctor_rx_not_in_stock"


def correct_link(runtime: Runtime, rx: Prescription) -> str:
    """The doctor's page to correct ``rx`` (choose an alternative from the formulary)."""
    return f"{runtime.settings.public_base_url}/portal/prescriptions/{rx.code}/correct"


def queue_not_in_stock_sms(
    db: Session,
    runtime: Runtime,
    *,
    rx: Prescription,
    row: PrescriptionDispensing,
    missing: list[PrescriptionItem],
    anm: Staff,
) -> int | None:
    """Write the doctor's SMS in the caller's transaction (``row`` flushed); its id, or None
    when the doctor's number takes no SMS. Call ``enqueue_delivery`` after the commit."""
    doctor = db.get(Staff, rx.doctor_id)
    if doctor is None or not reach(doctor.mobile).can_text:
        log.info("no not-in-stock SMS: the doctor's number takes none", extra={"rx": rx.code})
        return None
    c = rx.consultation
    spoke = c.spoke or anm.spoke
    try:
        sms = queue_sms(
            db,
            to=doctor.mobile,
            purpose=PURPOSE,
            language=staff_language(doctor, "en"),
            context={
                "code": rx.code,
                "reference": c.reference,
                "hwc_name": spoke.name if spoke is not None else "",
                "anm_name": anm.name,
                "medicines": missing,
                "notes": row.note,
                "link": correct_link(runtime, rx),
            },
            consultation_id=c.id,
            prescription_id=rx.id,
            idempotency_key=f"dispensing:{row.id}:{PURPOSE}",
        )
    except NotAMobileNumber:
        log.warning("no not-in-stock SMS: the doctor's number is not a mobile", exc_info=True)
        return None
    db.flush()
    return sms.id


def send_after_commit(runtime: Runtime, sms_id: int | None) -> None:
    """Put the SMS on the delivery queue (never raises: Redis down leaves it pending)."""
    if sms_id is not None:
        enqueue_delivery(runtime, sms_id)
