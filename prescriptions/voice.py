"""Prescriptions read aloud on the phone.

* ``GET|POST /rx/<id>/read?lang=hi`` - TwiML that reads the prescription in the patient's
  language, then "press 1 to hear it again" (at most ``max_repeats`` times).
* ``POST /rx/<id>/call-status`` - the read-aloud call's status callback.
* ``place_readout_call(runtime, prescription_id)`` - an RQ job that calls the patient
  (idempotent: one ``CallLeg`` per purpose key).
* ``on_prescription_sms_undeliverable(runtime, sms)`` - the SMS fallback: the patient's
  SMS failed twice, so the prescription is read to them instead.
* ``latest_prescription_twiml(session, caller_mobile, language)`` - for the IVR: a patient
  who rings again presses a key and hears their latest prescription.

Every webhook answers valid TwiML; a failure is an apology to the caller, never an error.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from models import CallLeg, Consultation, LegRole, Patient, Prescription, SmsMessage
from prescriptions.notify import callback_number, patient_language
from prescriptions.speech import Voice, prescription_sentences, readout_config, voice_for
from sampark.runtime import Runtime, current_runtime, process_runtime
from sampark.timeutil import IST, to_ist, utcnow
from telephony.webhooks import twilio_webhook

log = logging.getLogger(__name__)

bp = Blueprint("rx_voice", __name__, url_prefix="/rx")

READOUT_QUEUE = "calls"
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


# --------------------------------------------------------------------------- TwiML
def _say(parent: VoiceResponse | Gather, v: Voice, text: str) -> None:
    parent.say(text, voice=v.voice, language=v.say_language)


def read_url(base: str, rx_id: int, language: str, repeat: int = 0) -> str:
    """Where the read-aloud TwiML lives (absolute, as Twilio signs it)."""
    return f"{base}/rx/{rx_id}/read?{urlencode({'lang': language, 'n': repeat})}"


def readout_twiml(
    rx: Prescription, language: str, base_url: str, *, repeat: int = 0, after_url: str | None = None
) -> VoiceResponse:
    """Read ``rx`` aloud, then offer "press 1 to hear it again".

    Args:
        rx: the prescription.
        language: hi, ur, bn or en (Hindi for anything else).
        base_url: the public base URL for the Gather action.
        repeat: how many times it has been read already in this call.
        after_url: where to go when the listener is done (default: goodbye and hang up).
    """
    v = voice_for(language)
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        action=read_url(base_url, rx.id, v.language, repeat + 1)
        + (f"&{urlencode({'after': after_url})}" if after_url else ""),
        method="POST",
        timeout=int(readout_config().get("gather_timeout", 6)),
    )
    for sentence in prescription_sentences(rx, v.language):
        _say(gather, v, sentence)
        gather.pause(length=1)
    _say(gather, v, v.say("repeat"))
    response.append(gather)
    _finish(response, v, after_url)
    return response


def _finish(response: VoiceResponse, v: Voice, after_url: str | None) -> None:
    if after_url:
        response.redirect(after_url, method="POST")
    else:
        _say(response, v, v.say("goodbye"))
        response.hangup()


def apology_twiml(language: str | None, key: str = "unavailable") -> VoiceResponse:
    """A polite message and hang-up: what the caller hears when anything goes wrong."""
    v = voice_for(language)
    response = VoiceResponse()
    _say(response, v, v.say(key))
    response.hangup()
    return response


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def latest_prescription(session: Session, caller_mobile: str) -> Prescription | None:
    """The newest current prescription of any patient reached on ``caller_mobile``."""
    return session.scalar(
        select(Prescription)
        .join(Consultation, Prescription.consultation_id == Consultation.id)
        .outerjoin(Patient, Consultation.patient_id == Patient.id)
        .where(
            Prescription.superseded_at.is_(None),
            or_(Patient.mobile == caller_mobile, Consultation.caller_mobile == caller_mobile),
        )
        .order_by(Prescription.issued_at.desc(), Prescription.id.desc())
        .limit(1)
    )


def latest_prescription_twiml(
    session: Session,
    caller_mobile: str,
    language: str,
    *,
    base_url: str | None = None,
    after_url: str | None = None,
) -> str:
    """TwiML reading the caller's latest prescription (for the IVR's first menu).

    Args:
        session: a database session.
        caller_mobile: the caller's number in E.164 (Twilio's ``From``).
        language: the language the caller chose (hi, ur, bn, en).
        base_url: the public base URL (default: the app's, inside a request).
        after_url: where to continue afterwards (e.g. back to the IVR menu); default
            goodbye and hang up.

    Returns:
        A complete ``<Response>`` as XML; "no prescription found" when there is none.
        Never raises: a failure reads the apology.
    """
    try:
        rx = latest_prescription(session, caller_mobile)
        if rx is None:
            v = voice_for(language)
            response = VoiceResponse()
            _say(response, v, v.say("none"))
            _finish(response, v, after_url)
            return str(response)
        base = base_url or current_runtime().settings.public_base_url
        return str(readout_twiml(rx, language, base, after_url=after_url))
    except Exception:
        log.exception("could not read the latest prescription", extra={"event": "rx-readout"})
        return str(apology_twiml(language))


@bp.route("/<int:rx_id>/read", methods=["GET", "POST"])
@twilio_webhook
def read(rx_id: int) -> Response:
    """Read the prescription; ``Digits=1`` reads it again, anything else says goodbye."""
    language = request.args.get("lang", "hi")
    after_url = request.args.get("after") or None
    try:
        repeat = int(request.args.get("n", "0"))
        digits = request.values.get("Digits")
        v = voice_for(language)
        if digits is not None and digits != "1":
            response = VoiceResponse()
            _finish(response, v, after_url)
            return _twiml(response)
        if digits == "1" and repeat > int(readout_config().get("max_repeats", 3)):
            response = VoiceResponse()
            _finish(response, v, after_url)
            return _twiml(response)
        runtime = current_runtime()
        with runtime.db.session() as session:
            rx = session.get(Prescription, rx_id)
            if rx is None:
                return _twiml(apology_twiml(language, "none"))
            twiml = readout_twiml(
                rx, language, runtime.settings.public_base_url, repeat=repeat, after_url=after_url
            )
        return _twiml(twiml)
    except Exception:
        log.exception("read-aloud failed", extra={"prescription_id": rx_id})
        return _twiml(apology_twiml(language))


@bp.route("/<int:rx_id>/call-status", methods=["POST"])
@twilio_webhook
def call_status(rx_id: int) -> Response:
    """Record what happened to a read-aloud call (Twilio's status callback)."""
    sid = request.form.get("CallSid", "")
    status = request.form.get("CallStatus", "")
    try:
        with current_runtime().db.session() as session:
            leg = session.scalar(select(CallLeg).where(CallLeg.call_sid == sid))
            if leg is not None and leg.status not in FINAL_CALL_STATUSES:
                _apply_status(leg, status, request.form)
    except Exception:
        log.exception("read-aloud status not recorded", extra={"call_sid": sid})
    return Response("", status=204)


def _apply_status(leg: CallLeg, status: str, form: Any) -> None:
    now = utcnow()
    leg.status = status or leg.status
    if status == "in-progress" and leg.answered_at is None:
        leg.answered_at = now
    if form.get("AnsweredBy"):
        leg.answered_by = form["AnsweredBy"]
    if status in FINAL_CALL_STATUSES:
        leg.ended_at = now
        duration = form.get("CallDuration")
        if duration and duration.isdigit():
            leg.duration_seconds = int(duration)
        if form.get("ErrorCode", "").isdigit():
            leg.error_code = int(form["ErrorCode"])


# --------------------------------------------------------------------------- calls
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
    opens, closes = (time.fromisoformat(p.strip()) for p in str(window).split("-", 1))
    local = to_ist(now)
    if opens <= local.time() < closes:
        return None
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=IST).astimezone(now.tzinfo)


def schedule_readout(runtime: Runtime, prescription_id: int, attempt: int = 1) -> None:
    """Enqueue the read-aloud call now, or at the next opening of the call window."""
    queue = runtime.queue(READOUT_QUEUE)
    opening = next_window_opening(utcnow())
    args = ("prescriptions.voice.readout_job", prescription_id, attempt)
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
    if next_window_opening(utcnow()) is None:
        place_readout_call(runtime, prescription_id)
    else:
        schedule_readout(runtime, prescription_id)
