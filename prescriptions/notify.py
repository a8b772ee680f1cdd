"""The prescription's SMS: the patient's copy and the ANM's, queued with the prescription.

The rows are written in the issuing transaction (``outbound.sms.queue_sms``), so
a prescription never exists without its messages; delivery is enqueued only after that
transaction commits. The number the patient is told to ring is the consultation's caller
ID (``outbound.caller_id``): the number our calls and SMS come from.
"""

from __future__ import annotations

import logging

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.runtime import Runtime, current_runtime
from models import Consultation, Prescription, SmsMessage
from outbound.sms import NotAMobileNumber, enqueue_delivery, queue_sms
from prescriptions.calls import schedule_readout
from prescriptions.recipients import (
    SMS_LANGUAGES,
    callback_number,
    dispensing_anm,
    patient_language,
)
from sms_templates.contexts import prescription_context

log = logging.getLogger(__name__)

PATIENT_PURPOSE = "prescription_patient"
ANM_PURPOSE = "prescription_anm"


def queue_prescription_sms(
    session: Session, rx: Prescription, *, runtime: Runtime | None = None
) -> list[SmsMessage]:
    """Queue the patient's and the ANM's SMS for ``rx``; deliver them after commit.

    A patient reached on a number that cannot take SMS (a landline) gets the
    read-aloud call instead, placed after the commit.
    """
    consultation = rx.consultation or session.get(Consultation, rx.consultation_id)
    assert consultation is not None
    number = callback_number(session, consultation)
    queued: list[SmsMessage] = []
    read_aloud = False
    patient = consultation.patient
    to_patient = (patient.mobile if patient else None) or consultation.caller_mobile
    try:
        queued.append(
            queue_sms(
                session,
                to=to_patient,
                purpose=PATIENT_PURPOSE,
                language=patient_language(consultation),
                script=None,  # the patient's remembered script (messaging looks it up)
                context=prescription_context(rx, callback_number=number or ""),
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
            queue_sms(
                session,
                to=anm.mobile,
                purpose=ANM_PURPOSE,
                language=language,
                script="native",
                context=prescription_context(rx, reference=consultation.reference),
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
        for sms_id in sms_ids:
            enqueue_delivery(target, sms_id)  # never raises: a pending row is re-driven
        if read_aloud_id is not None:
            try:
                schedule_readout(target, read_aloud_id)
            except Exception as exc:
                log.error("read-aloud call not scheduled", extra={"error": repr(exc)})

    event.listen(session, "after_commit", enqueue, once=True)
