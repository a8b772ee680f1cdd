"""The prescription's SMS: the patient's copy and the ANM's, queued with the prescription.

The rows are written in the issuing transaction (``telephony.messaging.queue_sms``), so
a prescription never exists without its messages; delivery is enqueued only after that
transaction commits.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models import (
    Consultation,
    NumberKind,
    Prescription,
    ServiceNumber,
    SmsMessage,
    Staff,
    StaffRole,
)
from sampark.runtime import Runtime

log = logging.getLogger(__name__)

SMS_LANGUAGES = ("hi", "ur", "bn", "en")
PATIENT_PURPOSE = "prescription_patient"
ANM_PURPOSE = "prescription_anm"


def callback_number(session: Session, consultation: Consultation) -> str | None:
    """The number the patient rings to hear the prescription: the spoke's, else the district's."""
    if consultation.spoke_id is not None:
        number = session.scalar(
            select(ServiceNumber.number).where(
                ServiceNumber.spoke_id == consultation.spoke_id,
                ServiceNumber.kind == NumberKind.SPOKE,
            )
        )
        if number:
            return number
    for kind in (NumberKind.DISTRICT, NumberKind.MISSED_CALL):
        number = session.scalar(select(ServiceNumber.number).where(ServiceNumber.kind == kind))
        if number:
            return number
    return None


def dispensing_anm(session: Session, consultation: Consultation) -> Staff | None:
    """The ANM who dispenses: the consultation's, else the spoke's first-ranked active ANM."""
    if consultation.anm is not None:
        return consultation.anm
    if consultation.spoke_id is None:
        return None
    return session.scalar(
        select(Staff)
        .where(
            Staff.spoke_id == consultation.spoke_id,
            Staff.role == StaffRole.ANM,
            Staff.active.is_(True),
        )
        .order_by(Staff.rank)
    )


def patient_language(consultation: Consultation) -> str:
    patient = consultation.patient
    for lang in (consultation.language, patient.preferred_language if patient else None):
        if lang in SMS_LANGUAGES:
            return lang
    return "hi"


def _rx_context(rx: Prescription, **extra: Any) -> dict[str, Any]:
    from sms_templates.contexts import prescription_context

    return prescription_context(rx, **extra)


def _queue(session: Session, **kwargs: Any) -> SmsMessage:
    """Call ``queue_sms`` with the arguments it accepts (``script`` is newer than the contract)."""
    from telephony.messaging import queue_sms

    accepted = inspect.signature(queue_sms).parameters
    if "script" not in accepted:
        kwargs.pop("script", None)
    return queue_sms(session, **kwargs)


def queue_prescription_sms(
    session: Session, rx: Prescription, *, runtime: Runtime | None = None
) -> list[SmsMessage]:
    """Queue the patient's and the ANM's SMS for ``rx``; deliver them after commit."""
    consultation = rx.consultation or session.get(Consultation, rx.consultation_id)
    assert consultation is not None
    try:
        import telephony.messaging  # noqa: F401
    except ModuleNotFoundError:  # the SMS layer is not installed in this build
        log.error("telephony.messaging missing: prescription SMS not queued")
        return []
    number = callback_number(session, consultation)
    queued: list[SmsMessage] = []
    patient = consultation.patient
    to_patient = (patient.mobile if patient else None) or consultation.caller_mobile
    if to_patient:
        queued.append(
            _queue(
                session,
                to=to_patient,
                purpose=PATIENT_PURPOSE,
                language=patient_language(consultation),
                script=None,  # the patient's remembered script (messaging looks it up)
                context=_rx_context(rx, callback_number=number or ""),
                consultation_id=consultation.id,
                prescription_id=rx.id,
                idempotency_key=f"rx:{rx.code}:patient",
            )
        )
    anm = dispensing_anm(session, consultation)
    if anm is not None:
        language = next((lang for lang in anm.languages or [] if lang in SMS_LANGUAGES), "hi")
        queued.append(
            _queue(
                session,
                to=anm.mobile,
                purpose=ANM_PURPOSE,
                language=language,
                script="native",
                context=_rx_context(rx, reference=consultation.reference),
                consultation_id=consultation.id,
                prescription_id=rx.id,
                idempotency_key=f"rx:{rx.code}:anm",
            )
        )
    else:
        log.warning("no ANM to send the prescription copy to", extra={"prescription": rx.code})
    deliver_after_commit(session, [m.id for m in queued], runtime)
    return queued


def deliver_after_commit(session: Session, sms_ids: list[int], runtime: Runtime | None) -> None:
    """Enqueue delivery of ``sms_ids`` once ``session`` commits (never on rollback)."""
    if runtime is None and has_app_context():
        from sampark.runtime import current_runtime

        runtime = current_runtime()
    if runtime is None or not sms_ids:
        if sms_ids:
            log.info("no runtime given: SMS stay pending for the sweeper", extra={"ids": sms_ids})
        return
    target = runtime

    def enqueue(_session: Session) -> None:
        from telephony.messaging import enqueue_delivery

        for sms_id in sms_ids:
            try:
                enqueue_delivery(target, sms_id)
            except Exception as exc:  # Redis down: the row is pending, a sweeper resends it
                log.error(
                    "could not enqueue SMS delivery", extra={"sms_id": sms_id, "error": repr(exc)}
                )

    event.listen(session, "after_commit", enqueue, once=True)
