"""Never an application error: a failed webhook still answers, and what it carried is kept.

``safe_twiml`` wraps each IVR view: any exception (database down, Redis down, a
bug) is logged, the webhook's parameters are kept in the durable fallback
(``core.fallback``, area ``ivr``: fsync'd before answering), and the caller
hears a short apology with a promise of a call-back. The sweeper replays those
records (``ivr.recovery``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from core import fallback
from core.runtime import current_runtime
from core.settings import Settings
from ivr import twiml
from ivr.catalog import normalise_language
from ivr.store import MISSED_CALL_LINES

log = logging.getLogger(__name__)
XML = "text/xml; charset=utf-8"


def append_record(
    settings: Settings,
    kind: str,
    form: Mapping[str, Any],
    args: Mapping[str, Any],
    *,
    error: str = "",
) -> bool:
    """Keep one IVR webhook's parameters for replay (``core.fallback``, area ``ivr``)."""
    return fallback.append_record(settings, "ivr", kind, form, args, error=error)


def _is_missed_call(form: Mapping[str, str]) -> bool:
    inbound = not form.get("Direction", "inbound").startswith("outbound")
    return inbound and form.get("To", "") in MISSED_CALL_LINES


def failure_answer(kind: str, language: str) -> VoiceResponse:
    """What Twilio gets when a webhook failed: a missed call is still rejected (free)."""
    if kind in ("status", "recording"):
        return twiml.empty()
    if kind == "missed":
        return twiml.reject_busy()
    return twiml.apology(language)


def safe_twiml(
    kind: str,
) -> Callable[[Callable[..., VoiceResponse | str]], Callable[..., Response]]:
    """Turn a view returning a VoiceResponse into one that always answers valid TwiML."""

    def decorate(view: Callable[..., VoiceResponse | str]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*a: Any, **kw: Any) -> Response:
            try:
                return Response(str(view(*a, **kw)), mimetype="text/xml")
            except Exception as exc:
                form, args = request.form.to_dict(), request.args.to_dict()
                log.exception(
                    "IVR webhook failed: apology given, call details kept for replay",
                    extra={
                        "event": "ivr-webhook-failed",
                        "kind": kind,
                        "call_sid": form.get("CallSid"),
                    },
                )
                try:
                    settings = current_runtime().settings
                    append_record(settings, kind, form, args, error=repr(exc))
                except Exception:
                    log.exception("no runtime to keep the failed webhook", extra={"form": form})
                language = normalise_language(args.get("l"))
                answer_as = "missed" if kind == "incoming" and _is_missed_call(form) else kind
                return Response(str(failure_answer(answer_as, language)), mimetype="text/xml")

        return wrapper

    return decorate
