"""Twilio's webhooks for the workflow (blueprint ``bp`` under ``/calls``).

Every route checks Twilio's signature, answers valid TwiML fast, and never an
error. What each does is in ``workflows.webhook_events``. If it fails (the
database or Redis down, a bug), the event is kept in the durable fallback
(``core.fallback``) for the sweeper to replay in order, and Twilio still gets
valid TwiML: a short apology for a call that speaks, an empty response for a
callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from core.fallback import append_record
from core.runtime import current_runtime
from telephony.webhooks import twilio_webhook
from workflows import twiml
from workflows.webhook_events import AREA, consultation_event, leg_event

log = logging.getLogger(__name__)
bp = Blueprint("workflows", __name__, url_prefix="/calls")
#: Webhooks answered with speech (the others are callbacks, answered empty).
SPEAKING = frozenset({"answer", "menu", "join"})


def _xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _empty() -> Response:
    return _xml(str(VoiceResponse()))


def _guarded(kind: str, route: dict[str, int], run: Callable[[], str | None]) -> Response:
    """Run a webhook; on any failure keep its event and answer an apology or nothing."""
    try:
        body = run()
    except Exception as exc:
        form, args = request.form.to_dict(), request.args.to_dict()
        log.exception(
            "workflow webhook failed: event kept for replay",
            extra={"event": "workflow-webhook-failed", "webhook": kind, "path": request.path},
        )
        try:
            settings = current_runtime().settings
            append_record(settings, AREA, kind, form, args, route=route, error=repr(exc))
        except Exception:
            log.exception("no runtime to keep the failed webhook", extra={"form": form})
        lang = request.args.get("lang", "hi")
        return _xml(twiml.say_then_hangup(lang, "apology")) if kind in SPEAKING else _empty()
    return _xml(body) if body else _empty()


def _leg(leg_id: int, kind: str) -> Response:
    form, args = request.form.to_dict(), request.args.to_dict()
    return _guarded(
        kind,
        {"leg_id": leg_id},
        lambda: leg_event(current_runtime(), leg_id, kind, form, args),
    )


def _consultation(consultation_id: int, kind: str) -> Response:
    form, args = request.form.to_dict(), request.args.to_dict()
    return _guarded(
        kind,
        {"consultation_id": consultation_id},
        lambda: consultation_event(current_runtime(), consultation_id, kind, form, args),
    )


@bp.post("/legs/<dbid:leg_id>/answer")
@twilio_webhook
def leg_answer(leg_id: int) -> Response:
    """A call we placed was answered: the menu (ANM, doctor) or the conference (patient)."""
    return _leg(leg_id, "answer")


@bp.post("/legs/<dbid:leg_id>/menu")
@twilio_webhook
def leg_menu(leg_id: int) -> Response:
    """A key pressed in an ANM's or doctor's menu."""
    return _leg(leg_id, "menu")


@bp.post("/legs/<dbid:leg_id>/status")
@twilio_webhook
def leg_status(leg_id: int) -> Response:
    """A call status callback for one of our legs."""
    return _leg(leg_id, "status")


@bp.post("/consultations/<dbid:consultation_id>/conference")
@twilio_webhook
def conference_events(consultation_id: int) -> Response:
    """The conference's status callback (participants joining and leaving, its end)."""
    return _consultation(consultation_id, "conference")


@bp.post("/consultations/<dbid:consultation_id>/join")
@twilio_webhook
def patient_join(consultation_id: int) -> Response:
    """The IVR hands over a patient who stays on the line: into the conference to wait."""
    return _consultation(consultation_id, "join")


@bp.route("/wait", methods=["GET", "POST"])
@twilio_webhook
def wait_music() -> Response:
    """The conference wait URL: one short message, then music (no database needed)."""
    return _xml(twiml.wait_music(request.args.get("lang", "hi")))
