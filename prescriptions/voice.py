"""Prescriptions read aloud on the phone.

* ``GET|POST /rx/<id>/read?lang=hi`` - TwiML that reads the prescription in the patient's
  language, then "press 1 to hear it again" (at most ``max_repeats`` times).
* ``POST /rx/latest?lang=hi&after=<url>`` - the caller's latest prescription: the IVR
  redirects a caller who pressed 5 here, and it redirects back to ``after``.
* ``POST /rx/<id>/call-status`` - the read-aloud call's status callback.
* ``place_readout_call`` / ``on_prescription_sms_undeliverable`` live in ``calls.py``
  (re-exported here).
* ``latest_prescription_twiml(session, caller_mobile, language)`` - what ``/rx/latest``
  reads: a patient who rings again presses a key and hears their latest prescription.

Every webhook answers valid TwiML; a failure is an apology to the caller, never an error.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.runtime import current_runtime
from core.timeutil import utcnow
from models import AuditEvent, CallLeg, Consultation, Patient, Prescription
from models.telephony import LegStatus
from prescriptions.calls import (
    READOUT_QUEUE,
    next_window_opening,
    on_prescription_sms_undeliverable,
    place_readout_call,
    read_url,
    readout_job,
    readout_purpose,
    schedule_readout,
)
from prescriptions.speech import Voice, prescription_sentences, readout_config, voice_for
from telephony.errors import mask_number
from telephony.webhooks import twilio_webhook

__all__ = [
    "READOUT_QUEUE",
    "bp",
    "latest_prescription_twiml",
    "next_window_opening",
    "on_prescription_sms_undeliverable",
    "place_readout_call",
    "read_url",
    "readout_job",
    "readout_purpose",
    "readout_twiml",
    "schedule_readout",
]

log = logging.getLogger(__name__)

bp = Blueprint("rx_voice", __name__, url_prefix="/rx")

FINAL_CALL_STATUSES = (
    LegStatus.COMPLETED,
    LegStatus.BUSY,
    LegStatus.NO_ANSWER,
    LegStatus.FAILED,
    LegStatus.CANCELED,
)


# --------------------------------------------------------------------------- TwiML
def _say(parent: VoiceResponse | Gather, v: Voice, text: str) -> None:
    parent.say(text, voice=v.voice, language=v.say_language)


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
        twiml = str(readout_twiml(rx, language, base, after_url=after_url))
        session.add(
            AuditEvent(
                action="prescription.read_to_caller",
                subject_type="prescription",
                subject_id=rx.id,
                detail={"caller": mask_number(caller_mobile)},
            )
        )
        return twiml
    except Exception:
        log.exception("could not read the latest prescription", extra={"event": "rx-readout"})
        return str(apology_twiml(language))


@bp.route("/<dbid:rx_id>/read", methods=["GET", "POST"])
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


@bp.route("/latest", methods=["POST"])
@twilio_webhook
def latest() -> Response:
    """The caller's latest prescription, for an IVR to ``<Redirect>`` to.

    Query: ``lang`` (hi, ur, bn, en) and optionally ``after`` (where to continue). The
    caller is Twilio's ``From`` of an inbound call, and ``To`` of one we placed (the
    IVR's missed-call call-back, where ``From`` is our number).
    """
    language = request.args.get("lang", "hi")
    outbound = request.form.get("Direction", "inbound").startswith("outbound")
    caller = request.form.get("To" if outbound else "From", "")
    try:
        with current_runtime().db.session() as session:
            twiml = latest_prescription_twiml(
                session, caller, language, after_url=request.args.get("after") or None
            )
        return Response(twiml, mimetype="text/xml")
    except Exception:
        log.exception("latest prescription read-out failed")
        return _twiml(apology_twiml(language))


@bp.route("/<dbid:rx_id>/call-status", methods=["POST"])
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
    if status == LegStatus.IN_PROGRESS and leg.answered_at is None:
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
