"""The IVR's webhooks (Flask blueprint, url_prefix ``/ivr``).

- ``POST /ivr/incoming``: the Voice URL of every spoke, district-wide and missed-call
  number (and the URL of our call-backs);
- ``POST /ivr/step?n=<node>&l=<lang>``: each answer (``<Gather>``/``<Record>`` action);
- ``POST /ivr/recording?n=<node>``: a recording is ready (recordingStatusCallback);
- ``POST /ivr/status``: the call's status callback (hang-ups).

Every route checks Twilio's signature first (403 otherwise) and then never fails:
see ``ivr.fallback.safe_twiml``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, send_from_directory
from twilio.twiml.voice_response import VoiceResponse

from core.runtime import current_runtime
from ivr import calls
from ivr.catalog import AUDIO_DIR, AUDIO_TYPES, LANGUAGES
from ivr.fallback import safe_twiml
from telephony.webhooks import twilio_webhook

bp = Blueprint("ivr", __name__, url_prefix="/ivr")


def _run(kind: str) -> VoiceResponse | str:
    return calls.HANDLERS[kind](current_runtime(), request.form, request.args)


@bp.post("/incoming")
@twilio_webhook
@safe_twiml("incoming")
def incoming() -> VoiceResponse | str:
    return _run("incoming")


@bp.post("/step")
@twilio_webhook
@safe_twiml("step")
def step() -> VoiceResponse | str:
    return _run("step")


@bp.post("/recording")
@twilio_webhook
@safe_twiml("recording")
def recording() -> VoiceResponse | str:
    return _run("recording")


@bp.post("/status")
@twilio_webhook
@safe_twiml("status")
def status() -> VoiceResponse | str:
    return _run("status")


@bp.get("/audio/<language>/<name>")
def audio(language: str, name: str) -> Response:
    """A recorded prompt (``ivr/prompts/audio/<lang>/<key>.mp3``), fetched by Twilio's <Play>."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if language not in LANGUAGES or suffix not in AUDIO_TYPES:
        abort(404)
    return send_from_directory(AUDIO_DIR / language, name, mimetype=AUDIO_TYPES[suffix])
