"""Never an application error: a failed webhook still answers, and what it carried is kept.

``safe_twiml`` wraps each IVR view: any exception (database down, Redis down, a
bug) is logged, the webhook's parameters are appended to a JSON-lines fallback
file under ``<instance>/fallback/`` (flushed and fsync'd before answering), and
the caller hears a short apology with a promise of a call-back.
``ivr.recovery.replay_fallback`` re-drives those records later.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml
from ivr.catalog import normalise_language
from sampark.runtime import current_runtime
from sampark.settings import Settings

log = logging.getLogger(__name__)
XML = "text/xml; charset=utf-8"


def fallback_dir(settings: Settings) -> Path:
    return Path(settings.instance_path) / "fallback"


def append_record(
    settings: Settings,
    kind: str,
    form: Mapping[str, Any],
    args: Mapping[str, Any],
    *,
    error: str = "",
) -> bool:
    """Append one webhook's parameters to this process's fallback file, durably.

    One file per day and process (``ivr-YYYYMMDD-<pid>.jsonl``), opened for append
    per record, so a rotating sweeper never races a long-lived handle.
    """
    now = datetime.now(UTC)
    record = {
        "kind": kind,
        "at": now.isoformat(),
        "form": dict(form),
        "args": dict(args),
        "error": error[:300],
    }
    try:
        directory = fallback_dir(settings)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"ivr-{now:%Y%m%d}-{os.getpid()}.jsonl"
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return True
    except Exception:  # the disk failed too: the log line is all that is left
        log.exception("could not write the IVR fallback record", extra={"record": record})
        return False


def _is_missed_call(form: Mapping[str, str]) -> bool:
    from ivr.store import MISSED_CALL_LINES

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
