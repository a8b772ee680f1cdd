"""The IVR's part of the durable fallback: re-drive the webhooks that failed.

Records of area ``ivr`` (see ``ivr.fallback``) are replayed by
``ops.fallback_replay`` through the same handlers the webhooks use
(``ivr.calls.HANDLERS``) plus ``callback`` (a missed call's call-back that could
not be scheduled). After a pass, every replayed call that is still open is
closed: the caller heard an apology and a promise of a call-back, so the
consultation is kept as *abandoned* and handed to the workflow, which has the
ANM call back. ``ops.fallback_replay.replay`` runs one pass (every area's
records); the sweeper calls it every minute.
"""

from __future__ import annotations

import logging

from core.fallback import Area, Handler, Record
from core.runtime import Runtime
from ivr import calls
from ivr.callback import schedule_callback

log = logging.getLogger(__name__)

__all__ = ["FALLBACK"]

#: Kinds whose replay leaves the intake call open until it is closed here.
OPENING_KINDS = ("incoming", "step", "recording")


def _strings(raw: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw or {}).items()} if isinstance(raw, dict) else {}


def _webhook(kind: str) -> Handler:
    def run(runtime: Runtime, record: Record) -> None:
        args = _strings(record.get("args"))
        calls.HANDLERS[kind](runtime, _strings(record.get("form")), {**args, "replay": "1"})

    return run


def _callback(runtime: Runtime, record: Record) -> None:
    form = _strings(record.get("form"))
    schedule_callback(runtime, caller=form["caller"], line=form["line"], purpose=form["purpose"])


def _close_calls(runtime: Runtime, records: list[Record]) -> set[str]:
    """Close each call a replayed record opened (the caller was promised a call-back)."""
    opened: list[str] = []
    for record in records:
        sid = _strings(record.get("form")).get("CallSid", "")
        if sid and record.get("kind") in OPENING_KINDS and sid not in opened:
            opened.append(sid)
    closed = set()
    for sid in opened:
        try:
            calls.status(
                runtime,
                {"CallSid": sid, "CallStatus": "completed"},
                {"reason": "recovered-after-failure", "replay": "1"},
            )
            closed.add(sid)
        except Exception:
            log.exception("could not close a replayed call", extra={"call_sid": sid})
    return closed


FALLBACK = Area(
    handlers={
        **{kind: _webhook(kind) for kind in calls.HANDLERS},
        "callback": _callback,
    },
    settle=_close_calls,
)
