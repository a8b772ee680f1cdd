"""Read-aloud phone calls: placed once per purpose key, inside the call window.

* ``place_readout_call(runtime, prescription_id)`` - an RQ job that calls the patient
  through outbound (idempotent: one ``CallLeg`` per purpose key, written before the
  call is dialled; the number's guard asked like every call's).
* ``on_prescription_sms_undeliverable(runtime, sms)`` - the SMS fallback (registered in
  ``sampark/wiring.py``): the patient's SMS failed twice, so it is read aloud instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock as wclock
from core.clock import CallWindow
from core.runtime import Runtime, process_runtime
from core.settings import Settings
from models import AuditEvent, CallLeg, LegRole, Prescription, SmsMessage
from models.telephony import LegStatus
from outbound import calls
from prescriptions.recipients import call_from, patient_language
from prescriptions.speech import readout_config
from telephony.errors import GatewayError

log = logging.getLogger(__name__)

READOUT_QUEUE = "calls"
#: A read-aloud call refused because the patient's line is busy with another of ours.
LINE_BUSY_DELAY = timedelta(minutes=1)


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

    The leg is written first, then outbound dials it (``outbound.calls``), asking the
    one-call-per-number guard like every call: a patient on another of our calls is
    called again a minute later (the unrung leg is withdrawn).

    Args:
        runtime: the process runtime (None inside a worker: ``process_runtime()``).
        prescription_id: the prescription to read.
        attempt: which read-aloud call of this prescription (each has its own key).

    Returns:
        The CallSid, or None when no call was placed (superseded, no number, refused,
        the line busy).
    """
    runtime = runtime or process_runtime()
    try:
        with runtime.db.session() as session:
            prepared = _prepare_leg(session, runtime.settings, prescription_id, attempt)
    except IntegrityError:
        log.info("read-aloud call already placed", extra={"prescription_id": prescription_id})
        return None
    if prepared is None or isinstance(prepared, str):
        return prepared
    leg_id, call = prepared
    try:
        sid = calls.dial(runtime, leg_id, call)
    except GatewayError as exc:  # the leg is ``failed`` with the error
        log.warning("read-aloud call not placed", extra={"prescription_id": prescription_id})
        if exc.retryable:
            raise
        return None
    if sid is None:  # the patient's line is on another of our calls: again in a minute
        schedule_readout(runtime, prescription_id, attempt, delay=LINE_BUSY_DELAY)
        return None
    with runtime.db.session() as session:
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
    session: Session, settings: Settings, prescription_id: int, attempt: int
) -> tuple[int, calls.Call] | str | None:
    """Write the CallLeg before the REST request; an existing leg means "already done"."""
    rx = session.get(Prescription, prescription_id)
    if rx is None or not rx.is_current:
        log.info("no read-aloud: prescription missing or superseded", extra={"id": prescription_id})
        return None
    purpose = readout_purpose(rx.code, attempt)
    leg = session.scalar(select(CallLeg).where(CallLeg.purpose == purpose))
    if leg is not None and (leg.call_sid or leg.status != LegStatus.FAILED):
        return leg.call_sid
    consultation = rx.consultation
    patient = consultation.patient
    to = (patient.mobile if patient else None) or consultation.caller_mobile
    from_ = call_from(session, consultation, settings)
    if not to or not from_:
        log.warning("no read-aloud: no number to call from or to", extra={"code": rx.code})
        return None
    call = calls.Call(
        to=to,
        from_=from_,
        url=read_url(settings.public_base_url, prescription_id, patient_language(consultation)),
        status_callback=f"{settings.public_base_url}/rx/{prescription_id}/call-status",
        timeout=40,
    )
    if leg is None:
        leg = calls.write_leg(
            session,
            purpose=purpose,
            role=LegRole.READOUT,
            call=call,
            consultation_id=consultation.id,
        )
    else:  # a retry after a failed request
        leg.attempt += 1
        leg.status = LegStatus.QUEUED
        session.flush()
    return leg.id, call


def readout_job(prescription_id: int, attempt: int = 1) -> str | None:
    """The RQ entry point (takes ids only)."""
    return place_readout_call(None, prescription_id, attempt)


def readout_window() -> CallWindow | None:
    """The read-aloud call window (``call_window`` in ``readout.yaml``), if one is set."""
    window = readout_config().get("call_window")
    return CallWindow.parse(str(window)) if window else None


def next_window_opening(now: datetime) -> datetime | None:
    """None inside the read-aloud call window; else when it next opens (aware UTC)."""
    window = readout_window()
    if window is None or window.contains(now):
        return None
    return window.next_opening(now)


def schedule_readout(
    runtime: Runtime, prescription_id: int, attempt: int = 1, *, delay: timedelta | None = None
) -> None:
    """Enqueue the read-aloud call now (or after ``delay``), or at the window's next opening."""
    queue = runtime.queue(READOUT_QUEUE)
    now = wclock.now()
    due = now + delay if delay else now
    opening = next_window_opening(due)
    args = (readout_job, prescription_id, attempt)
    if opening is None and delay is None:
        queue.enqueue(*args, job_timeout=60)
    else:
        at = opening or due
        queue.enqueue_at(at, *args, job_timeout=60)
        log.info("read-aloud call waits", extra={"at": at.isoformat()})


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
