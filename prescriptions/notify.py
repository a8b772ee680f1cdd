"""The prescription's SMS: the patient's copy and the ANM's, queued with the prescription.

The rows are written in the issuing transaction (``outbound.sms.queue_sms``), so
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

from core.runtime import Runtime
from models import (
    Consultation,
    NumberKind,
    Prescription,
    ServiceNumber,
    SmsMessage,
    Staff,
    StaffRole,
)

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
    from outbound.sms import queue_sms

    accepted = inspect.signature(queue_sms).parameters
    if "script" not in accepted:
        kwargs.pop("script", None)
    return queue_sms(session, **kwargs)


def queue_prescription_sms(
    session: Session, rx: Prescription, *, runtime: Runtime | None = None
) -> list[SmsMessage]:
    """Queue the patient's and the ANM's SMS for ``rx``; deliver them after commit.

    A patient reached on a number that cannot take SMS (a landline) gets the
    read-aloud call instead, placed after the commit.
    """
    consultation = rx.consultation or session.get(Consultation, rx.consultation_id)
    assert consultation is not None
    try:
        from outbound.sms import NotAMobileNumber
    except ModuleNotFoundError:  # the SMS layer is not installed in this build
        log.error("outbound.sms missing: prescription SMS not queued")
        return []
    number = callback_number(session, consultation)
    queued: list[SmsMessage] = []
    read_aloud = False
    patient = consultation.patient
    to_patient = (patient.mobile if patient else None) or consultation.caller_mobile
    try:
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
    except NotAMobileNumber:
        log.warning("patient has no mobile: the prescription will be read aloud")
        read_aloud = True
    anm = dispensing_anm(session, consultation)
    try:
        if anm is None:
            raise NotAMobileNumber("no ANM for this spoke")
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
    except NotAMobileNumber as exc:
        log.error("ANM copy not sent", extra={"prescription": rx.code, "error": str(exc)})
    deliver_after_commit(
        session, [m.id for m in queued], runtime, read_aloud_id=rx.id if read_aloud else None
    )
    return queued


def _resolve_runtime(runtime: Runtime | None) -> Runtime | None:
    if runtime is None and has_app_context():
        from core.runtime import current_runtime

        return current_runtime()
    return runtime


def deliver_after_commit(
    session: Session,
    sms_ids: list[int],
    runtime: Runtime | None,
    *,
    read_aloud_id: int | None = None,
) -> None:
    """Once ``session`` commits (never on rollback): enqueue delivery of ``sms_ids``, and
    schedule the read-aloud call of prescription ``read_aloud_id`` if given."""
    target = _resolve_runtime(runtime)
    if target is None or not (sms_ids or read_aloud_id):
        if sms_ids:
            log.info("no runtime given: SMS stay pending for the sweeper", extra={"ids": sms_ids})
        return

    def enqueue(_session: Session) -> None:
        from outbound.sms import enqueue_delivery

        for sms_id in sms_ids:
            enqueue_delivery(target, sms_id)  # never raises: a pending row is re-driven
        if read_aloud_id is not None:
            from prescriptions.calls import schedule_readout

            try:
                schedule_readout(target, read_aloud_id)
            except Exception as exc:
                log.error("read-aloud call not scheduled", extra={"error": repr(exc)})

    event.listen(session, "after_commit", enqueue, once=True)
