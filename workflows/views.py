"""Twilio's webhooks for the workflow (blueprint ``bp`` under ``/calls``).

Every route checks Twilio's signature, answers valid TwiML fast, and never an
error: if the database fails, a caller hears a short apology (and the sweeper
re-drives the consultation from its deadline); a status callback is answered
with an empty response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from models import CallLeg
from sampark.runtime import current_runtime
from telephony.webhooks import twilio_webhook
from workflows import effects, engine, twiml

log = logging.getLogger(__name__)
bp = Blueprint("workflows", __name__, url_prefix="/calls")


def _xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _empty() -> Response:
    return _xml(str(VoiceResponse()))


def _guarded(kind: str, run: Callable[[], str | None], *, speak: bool) -> Response:
    """Run a webhook; on any failure answer an apology (calls) or nothing (callbacks)."""
    try:
        body = run()
    except Exception:
        log.exception("workflow webhook failed", extra={"webhook": kind, "path": request.path})
        lang = request.args.get("lang", "hi")
        return _xml(twiml.say_then_hangup(lang, "apology")) if speak else _empty()
    return _xml(body) if body else _empty()


def _leg_step(leg_id: int, step: str, **data: Any) -> str | None:
    runtime = current_runtime()
    with runtime.db.session() as session:
        consultation_id = session.scalar(
            select(CallLeg.consultation_id).where(CallLeg.id == leg_id)
        )
    if consultation_id is None:
        return twiml.say_then_hangup("hi", "taken") if step != "leg_status" else None
    fx, body = engine.run_step(runtime, consultation_id, step, leg_id=leg_id, **data)
    effects.apply(runtime, fx)
    return body


@bp.post("/legs/<int:leg_id>/answer")
@twilio_webhook
def leg_answer(leg_id: int) -> Response:
    """A call we placed was answered: the menu (ANM, doctor) or the conference (patient)."""
    form = request.form
    return _guarded(
        "answer",
        lambda: _leg_step(
            leg_id,
            "answer",
            call_sid=form.get("CallSid"),
            answered_by=form.get("AnsweredBy"),
            tries=int(request.args.get("n", "0") or 0),
        ),
        speak=True,
    )


@bp.post("/legs/<int:leg_id>/menu")
@twilio_webhook
def leg_menu(leg_id: int) -> Response:
    """A key pressed in an ANM's or doctor's menu."""
    form = request.form
    return _guarded(
        "menu",
        lambda: _leg_step(
            leg_id, "menu", call_sid=form.get("CallSid"), digits=form.get("Digits", "")
        ),
        speak=True,
    )


@bp.post("/legs/<int:leg_id>/status")
@twilio_webhook
def leg_status(leg_id: int) -> Response:
    """A call status callback for one of our legs."""
    form = request.form
    return _guarded(
        "status",
        lambda: _leg_step(
            leg_id,
            "leg_status",
            call_sid=form.get("CallSid"),
            status=form.get("CallStatus", ""),
            answered_by=form.get("AnsweredBy"),
            duration=form.get("CallDuration") or form.get("Duration"),
            error_code=form.get("ErrorCode"),
            error_message=form.get("ErrorMessage"),
        ),
        speak=False,
    )


@bp.post("/consultations/<int:consultation_id>/conference")
@twilio_webhook
def conference_events(consultation_id: int) -> Response:
    """The conference's status callback (participants joining and leaving, its end)."""
    form = request.form

    def run() -> None:
        runtime = current_runtime()
        fx, _ = engine.run_step(
            runtime,
            consultation_id,
            "conference",
            event=form.get("StatusCallbackEvent", ""),
            call_sid=form.get("CallSid"),
            label=form.get("ParticipantLabel"),
            conference_sid=form.get("ConferenceSid"),
        )
        effects.apply(runtime, fx)

    return _guarded("conference", run, speak=False)


@bp.post("/consultations/<int:consultation_id>/join")
@twilio_webhook
def patient_join(consultation_id: int) -> Response:
    """The IVR hands over a patient who stays on the line: into the conference to wait."""

    def run() -> str | None:
        runtime = current_runtime()
        fx, body = engine.run_step(runtime, consultation_id, "patient_join")
        effects.apply(runtime, fx)
        return body

    return _guarded("join", run, speak=True)


@bp.route("/wait", methods=["GET", "POST"])
@twilio_webhook
def wait_music() -> Response:
    """The conference wait URL: one short message, then music (no database needed)."""
    return _xml(twiml.wait_music(request.args.get("lang", "hi")))
