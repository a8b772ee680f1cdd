"""The prescription's SMS: the patient's copy and the ANM's, queued with the prescription.

Each copy is as many SMS as it needs (``sms_templates.render_prescription``): advice,
tests and instructions that do not fit the first message follow whole in continuations.
``plan_prescription_sms`` renders them all without writing anything: the portal shows
the doctor that exact text before she issues.

The rows are written in the issuing transaction (``outbound.sms.queue_sms``), so
a prescription never exists without its messages; delivery is enqueued only after that
transaction commits. The number the patient is told to ring is the consultation's caller
ID (``outbound.caller_id``): the number our calls and SMS come from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.phones import InvalidPhoneNumber, is_mobile, normalize
from core.runtime import Runtime, current_runtime
from models import Consultation, Patient, Prescription, SmsMessage
from outbound.sms import NotAMobileNumber, enqueue_delivery, queue_sms
from prescriptions.calls import on_prescription_sms_undeliverable, schedule_readout
from prescriptions.recipients import (
    SMS_LANGUAGES,
    callback_number,
    dispensing_anm,
    patient_language,
)
from sms_templates import RenderedSms, choose_script, render_prescription
from sms_templates.contexts import prescription_context

log = logging.getLogger(__name__)

PATIENT_PURPOSE = "prescription_patient"
ANM_PURPOSE = "prescription_anm"


@dataclass(frozen=True)
class PlannedMessage:
    """One SMS a prescription will send: to whom, and its exact text (``sms.body``)."""

    recipient: str  # "patient" or "anm"
    to: str  # E.164
    language: str
    script: str
    purpose: str
    context: dict[str, Any]
    sms: RenderedSms
    idempotency_key: str

    @property
    def segments(self) -> int:
        """Parts as Twilio counts them (``sms_templates.encoding.count_segments``)."""
        return self.sms.segments


@dataclass(frozen=True)
class SmsPlan:
    """Every SMS of a prescription, in sending order, and what cannot go by SMS."""

    messages: list[PlannedMessage]
    read_aloud: bool  # the patient has no mobile: the prescription is read aloud instead
    anm_missing: str | None  # why the ANM gets no copy, if she gets none


def _mobile(raw: str | None) -> str | None:
    try:
        e164 = normalize(raw or "")
    except InvalidPhoneNumber:
        return None
    return e164 if is_mobile(e164) else None


def _patient_script(session: Session, consultation: Consultation, to: str, language: str) -> str:
    """The script the patient reads, as ``outbound.sms.queue_sms`` would choose it."""
    patient: Patient | None = consultation.patient
    if patient is not None and patient.mobile != to:
        patient = None
    if patient is None:
        with session.no_autoflush:
            patient = session.scalar(
                select(Patient)
                .where(Patient.mobile == to, Patient.caregiver_id.is_(None))
                .order_by(Patient.id)
            )
    return choose_script(patient, language)


def _messages(
    recipient: str, to: str, language: str, script: str, purpose: str, key: str, **context: Any
) -> list[PlannedMessage]:
    planned = render_prescription(purpose, language, script, **context)
    return [
        PlannedMessage(
            recipient,
            to,
            language,
            p.sms.script,
            p.purpose,
            p.context,
            p.sms,
            key if n == 1 else f"{key}:{n}",
        )
        for n, p in enumerate(planned, start=1)
    ]


def plan_prescription_sms(
    session: Session, rx: Prescription, consultation: Consultation
) -> SmsPlan:
    """Every SMS ``rx`` sends, rendered exactly as it will be queued (nothing is written).

    ``rx`` need not be stored: the portal's preview plans a prescription not yet issued.
    """
    messages: list[PlannedMessage] = []
    patient = consultation.patient
    to_patient = _mobile((patient.mobile if patient else None) or consultation.caller_mobile)
    if to_patient is not None:
        language = patient_language(consultation)
        number = callback_number(session, consultation)
        messages += _messages(
            "patient",
            to_patient,
            language,
            _patient_script(session, consultation, to_patient, language),
            PATIENT_PURPOSE,
            f"rx:{rx.code}:patient",
            **prescription_context(rx, callback_number=number or ""),
        )
    anm = dispensing_anm(session, consultation)
    anm_mobile = _mobile(anm.mobile) if anm is not None else None
    anm_missing = None
    if anm is None:
        anm_missing = "no ANM for this spoke"
    elif anm_mobile is None:
        anm_missing = f"the ANM's number {anm.mobile!r} is not a mobile"
    else:
        language = next((lang for lang in anm.languages or [] if lang in SMS_LANGUAGES), "hi")
        messages += _messages(
            "anm",
            anm_mobile,
            language,
            "native",
            ANM_PURPOSE,
            f"rx:{rx.code}:anm",
            **prescription_context(rx, reference=consultation.reference),
        )
    return SmsPlan(messages, to_patient is None, anm_missing)


def queue_prescription_sms(
    session: Session, rx: Prescription, *, runtime: Runtime | None = None
) -> list[SmsMessage]:
    """Queue every SMS of ``rx`` (the patient's and the ANM's, continuations included, as
    ``plan_prescription_sms`` shows them); deliver them after commit.

    A patient reached on a number that cannot take SMS (a landline) gets the
    read-aloud call instead, placed after the commit.
    """
    consultation = rx.consultation or session.get(Consultation, rx.consultation_id)
    assert consultation is not None
    plan = plan_prescription_sms(session, rx, consultation)
    if plan.read_aloud:
        log.warning("patient has no mobile: the prescription will be read aloud")
    if plan.anm_missing:
        log.error("ANM copy not sent", extra={"prescription": rx.code, "error": plan.anm_missing})
    queued: list[SmsMessage] = []
    for planned in plan.messages:
        try:
            sms = queue_sms(
                session,
                to=planned.to,
                purpose=planned.purpose,
                language=planned.language,
                script=planned.script,
                context=planned.context,
                consultation_id=consultation.id,
                prescription_id=rx.id,
                idempotency_key=planned.idempotency_key,
            )
        except NotAMobileNumber as exc:  # planned only to mobiles: a number changed under us
            log.error("prescription SMS not queued", extra={"error": str(exc)})
            continue
        if sms.body != planned.sms.body:
            log.error("queued SMS differs from its preview", extra={"sms_id": sms.id})
        queued.append(sms)
    deliver_after_commit(
        session,
        [m.id for m in queued],
        runtime,
        read_aloud_id=rx.id if plan.read_aloud else None,
    )
    return queued


def on_continuation_undeliverable(runtime: Runtime, sms: Any) -> None:
    """SMS fallback (purpose ``prescription_more``): a continuation the patient's phone never
    received is read aloud with the whole prescription, as for the first SMS (one call per
    prescription however many of its SMS fail). The ANM's continuations need no call."""
    key = getattr(sms, "idempotency_key", None)
    if key is None and isinstance(sms, int):
        with runtime.db.session() as session:
            key = session.scalar(select(SmsMessage.idempotency_key).where(SmsMessage.id == sms))
    if key and ":patient:" in key:
        on_prescription_sms_undeliverable(runtime, sms)


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
