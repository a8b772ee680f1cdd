"""The workflow's RQ jobs: module-level functions taking ids, on ``process_runtime()``.

Queue ``<prefix>-workflow``. Every job is safe to run twice or late: the steps are
level-triggered on the locked row, and legs are claimed once per purpose.
"""

from __future__ import annotations

import contextlib
from typing import Any

from core.runtime import process_runtime
from workflows import effects, engine, fast_start


def advance(consultation_id: int, event: str, **data: Any) -> None:
    """Drive consultation ``consultation_id`` on after ``event``.

    A consultation's start takes the fast path (``workflows.fast_start``) when it can.
    """
    runtime = process_runtime()
    fx = None
    if event in engine.START_EVENTS and not data:
        fx = fast_start.try_start(runtime, consultation_id)
    if fx is None:
        fx = engine.advance(runtime, consultation_id, event, claim=True, **data)
    effects.apply(runtime, fx, inline=True)


def place_leg(leg_id: int) -> str | None:
    """Place one call leg (retried with backoff on retryable gateway errors)."""
    from workflows import legs

    return legs.place(process_runtime(), leg_id)


def dispatch() -> None:
    """Offer free doctors to waiting consultations."""
    from workflows import dispatch as doctor_queue

    runtime = process_runtime()
    effects.pass_started(runtime)
    effects.apply(runtime, doctor_queue.dispatch(runtime), inline=True)


def redirect_call(call_sid: str, twiml: str) -> None:
    """Give a live call new TwiML (a closing message, a call-back notice)."""
    from telephony.errors import PermanentGatewayError
    from workflows.legs import gateway

    with contextlib.suppress(PermanentGatewayError):  # the call ended: nothing left to say
        gateway(process_runtime()).update_call(call_sid, twiml=twiml)


def hangup_call(call_sid: str) -> None:
    """End a call that is no longer needed (an offer that timed out)."""
    from telephony.errors import PermanentGatewayError
    from workflows.legs import gateway

    with contextlib.suppress(PermanentGatewayError):
        gateway(process_runtime()).hangup(call_sid)


def sweep() -> dict[str, int]:
    """The sweeper (an RQ cron job every minute)."""
    from ops import sweeper

    return sweeper.sweep(process_runtime())


def noop() -> None:
    """Does nothing: RQ's own cost per job, the benchmark's floor."""
