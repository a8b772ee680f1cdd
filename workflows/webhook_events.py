"""What each workflow webhook does, independent of Flask: the views and the fallback share it.

A webhook that fails keeps its event in the durable fallback (``core.fallback``,
area ``workflows``: the kind, the request's form and args, and the route's id);
the sweeper replays it through ``replay`` below, which runs the very code the view
runs (``engine.run_step`` then ``effects.apply``). Steps are level-triggered, so a
replay that finds the event already applied changes nothing: a stale or repeated
call status is ignored (``STATUS_RANK``), a participant who has left is gone once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from core.fallback import Area, Record
from core.runtime import Runtime
from models import CallLeg
from workflows import effects, engine, twiml

AREA = "workflows"
#: The webhooks of ``/calls/legs/<leg_id>/<kind>`` and the step each runs.
LEG_STEPS = {"answer": "answer", "menu": "menu", "status": "leg_status"}
#: The webhooks of ``/calls/consultations/<consultation_id>/<kind>`` and their steps.
CONSULTATION_STEPS = {"conference": "conference", "join": "patient_join"}

Params = Mapping[str, str]


def leg_event(runtime: Runtime, leg_id: int, kind: str, form: Params, args: Params) -> str | None:
    """Run a leg's webhook (``answer``, ``menu`` or ``status``); returns its TwiML, if any."""
    step = LEG_STEPS[kind]
    with runtime.db.session() as session:
        consultation_id = session.scalar(
            select(CallLeg.consultation_id).where(CallLeg.id == leg_id)
        )
    if consultation_id is None:
        return twiml.say_then_hangup("hi", "taken") if step != "leg_status" else None
    data = _leg_data(kind, form, args)
    fx, body = engine.run_step(runtime, consultation_id, step, leg_id=leg_id, **data)
    effects.apply(runtime, fx)
    return body


def _leg_data(kind: str, form: Params, args: Params) -> dict[str, Any]:
    call_sid = form.get("CallSid")
    if kind == "answer":
        tries = int(args.get("n", "0") or 0)
        return {"call_sid": call_sid, "answered_by": form.get("AnsweredBy"), "tries": tries}
    if kind == "menu":
        return {"call_sid": call_sid, "digits": form.get("Digits", "")}
    return {
        "call_sid": call_sid,
        "status": form.get("CallStatus", ""),
        "answered_by": form.get("AnsweredBy"),
        "duration": form.get("CallDuration") or form.get("Duration"),
        "error_code": form.get("ErrorCode"),
        "error_message": form.get("ErrorMessage"),
    }


def consultation_event(
    runtime: Runtime, consultation_id: int, kind: str, form: Params, args: Params
) -> str | None:
    """Run a consultation's webhook (``conference`` events or a patient's ``join``)."""
    data: dict[str, Any] = {}
    if kind == "conference":
        data = {
            "event": form.get("StatusCallbackEvent", ""),
            "call_sid": form.get("CallSid"),
            "label": form.get("ParticipantLabel"),
            "conference_sid": form.get("ConferenceSid"),
        }
    fx, body = engine.run_step(runtime, consultation_id, CONSULTATION_STEPS[kind], **data)
    effects.apply(runtime, fx)
    return body if kind == "join" else None


def replay(runtime: Runtime, record: Record) -> None:
    """Replay a kept event through the view's own code (its TwiML goes nowhere)."""
    kind = str(record["kind"])
    route = record.get("route") or {}
    form = {str(k): str(v) for k, v in (record.get("form") or {}).items()}
    args = {str(k): str(v) for k, v in (record.get("args") or {}).items()}
    if kind in LEG_STEPS:
        leg_event(runtime, int(route["leg_id"]), kind, form, args)
    else:
        consultation_event(runtime, int(route["consultation_id"]), kind, form, args)


FALLBACK = Area(handlers=dict.fromkeys((*LEG_STEPS, *CONSULTATION_STEPS), replay))
