"""Read-aloud phone calls: placed once per purpose key, inside the call window.

* ``place_readout_call(runtime, prescription_id)`` - an RQ job that calls the patient
  (idempotent: one ``CallLeg`` per purpose key, written before the REST request).
* ``on_prescription_sms_undeliverable(runtime, sms)`` - the SMS fallback (registered in
  ``sampark/wiring.py``): the patient's SMS failed twice, so it is read aloud instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock as wclock
from core.runtime import Runtime, process_runtime
from core.timeutil import utcnow
from models import AuditEvent, CallLeg, LegRole, Prescription, SmsMessage
from prescriptions.recipients import callback_number, patient_language
from prescriptions.speech import readout_config

log = logging.getLogger(__name__)

READOUT_QUEUE = "calls"


def read_url(base: str, rx_id: int, language: str, repeat: int = 0) -> str:
    """Where the read-aloud TwiML lives (absolute, as Twilio signs it)."""
    return f"{base}/rx/{rx_id}/read?{urlencode({'lang': language, 'n': repeat})}"


def readout_purpose(code: str, attempt: int = 1) -> str:
    """The CallLeg idempotency key of a read-aloud call."""
    return f"rx:{code}:readout:{attempt}"


def place_readout_call(
    runtime: Runtime | None, prescription_id: int, attempt: int = 1
) -> str | None:
    """Call the patient and read the prescription (an RQ job; idempotent per attempt).

    Args:
        runtime: the process runtime (None inside a worker: ``process_runtime()``).
        prescription_id: the prescription to read.
        attempt: which read-aloud call of this prescription (each has its own key).

    Returns:
        The CallSid, or None when no call was placed (superseded, no number, refused).
    """
    from telephony.errors import GatewayError
    from telephony.gateway import TelephonyGateway

    runtime = runtime or process_runtime()
    try:
        with runtime.db.session() as session:
            prepared = _prepare_leg(session, prescription_id, attempt)
    except IntegrityError:
        log.info("read-aloud call already placed", extra={"prescription_id": prescription_id})
        return None
    if prepared is None or isinstance(prepared, str):
        return prepared
    leg_id, to, from_, language = prepared
    base = runtime.settings.public_base_url
    try:
        sid = TelephonyGateway.for_runtime(runtime).place_call(
            to=to,
            from_=from_,
            url=read_url(base, prescription_id, language),
            status_callback=f"{base}/rx/{prescription_id}/call-status",
            timeout=40,
        )
    except GatewayError as exc:
        with runtime.db.session() as session:
            leg = session.get(CallLeg, leg_id)
            if leg is not None:
                leg.status = "failed"
                leg.error_code = exc.code
                leg.error_message = str(exc)[:500]
        log.warning("read-aloud call not placed", extra={"prescription_id": prescription_id})
        if exc.retryable:
            raise
        return None
    with runtime.db.session() as session:
        leg = session.get(CallLeg, leg_id)
        if leg is not None:
            leg.call_sid = sid
            if leg.status == "queued":
                leg.status = "initiated"
            leg.started_at = utcnow()
        session.add(
            AuditEvent(
                action="prescription.read_aloud_call",
                subject_type="prescription",
                subject_id=prescription_id,
                detail={"call_sid": sid, "attempt": attempt},
            )
        )
    log.info("read-aloud call placed", extra={"prescription_id": prescription_id, "call_sid": sid})
    return sid


def _prepare_leg(
    session: Session, prescription_id: int, attempt: int
) -> tuple[int, str, str, str] | str | None:
    """Write the CallLeg before the REST request; an existing leg means "already done"."""
    rx = session.get(Prescription, prescription_id)
    if rx is None or not rx.is_current:
        log.info("no read-aloud: prescription missing or superseded", extra={"id": prescription_id})
        return None
    purpose = readout_purpose(rx.code, attempt)
    leg = session.scalar(select(CallLeg).where(CallLeg.purpose == purpose))
    if leg is not None and (leg.call_sid or leg.status != "failed"):
        return leg.call_sid
    consultation = rx.consultation
    patient = consultation.patient
    to = (patient.mobile if patient else None) or consultation.caller_mobile
    from_ = callback_number(session, consultation)
    if not to or not from_:
        log.warning("no read-aloud: no number to call from or to", extra={"code": rx.code})
        return None
    if leg is None:
        leg = CallLeg(
            consultation_id=consultation.id,
            purpose=purpose,
            role=LegRole.READOUT,
            from_number=from_,
            to_number=to,
            status="queued",
        )
        session.add(leg)
    else:  # a retry after a failed request
        leg.attempt += 1
        leg.status = "queued"
    session.flush()
    return leg.id, to, from_, patient_language(consultation)


def readout_job(prescription_id: int, attempt: int = 1) -> str | None:
    """The RQ entry point (takes ids only)."""
    return place_readout_call(None, prescription_id, attempt)


def next_window_opening(now: datetime) -> datetime | None:
    """None inside the read-aloud call window; else when it next opens (aware UTC)."""
    window = readout_config().get("call_window")
    if not window:
        return None
    hours = tuple(time.fromisoformat(p.strip()) for p in str(window).split("-", 1))
    opens, closes = hours[0], hours[1]
    if wclock.in_window(now, (opens, closes)):
        return None
    return wclock.next_window_open(now, (opens, closes))


def schedule_readout(runtime: Runtime, prescription_id: int, attempt: int = 1) -> None:
    """Enqueue the read-aloud call now, or at the next opening of the call window."""
    queue = runtime.queue(READOUT_QUEUE)
    opening = next_window_opening(wclock.now())
    args = ("prescriptions.calls.readout_job", prescription_id, attempt)
    if opening is None:
        queue.enqueue(*args, job_timeout=60)
    else:
        queue.enqueue_at(opening, *args, job_timeout=60)
        log.info("read-aloud call waits for the call window", extra={"at": opening.isoformat()})


def on_prescription_sms_undeliverable(runtime: Runtime, sms: Any) -> None:
    """SMS fallback (purpose ``prescription_patient``): read the prescription aloud instead.

    Args:
        runtime: the worker's runtime.
        sms: the ``SmsMessage`` (or its id) that could not be delivered after its re-send.
    """
    prescription_id = getattr(sms, "prescription_id", None)
    if prescription_id is None and isinstance(sms, int):
        with runtime.db.session() as session:
            prescription_id = session.scalar(
                select(SmsMessage.prescription_id).where(SmsMessage.id == sms)
            )
    if prescription_id is None:
        log.warning("undeliverable SMS without a prescription", extra={"sms": repr(sms)})
        return
    if next_window_opening(wclock.now()) is None:
        place_readout_call(runtime, prescription_id)
    else:
        schedule_readout(runtime, prescription_id)
