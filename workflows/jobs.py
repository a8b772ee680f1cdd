"""The workflow's RQ jobs: module-level functions taking ids, on ``process_runtime()``.

Queue ``<prefix>-workflow``. Every job is safe to run twice or late: the steps are
level-triggered on the locked row, and legs are claimed once per purpose. Placing a
leg, redirecting or ending a call are outbound's jobs (``outbound/legs.py``,
``outbound/calls.py``); the sweeper's is the operations' (``ops/jobs.py``).
"""

from __future__ import annotations

from typing import Any

from core.runtime import process_runtime
from workflows import dispatch as doctor_queue
from workflows import effects, engine, fast_start
from workflows.context import START_EVENTS


def advance(consultation_id: int, event: str, **data: Any) -> None:
    """Drive consultation ``consultation_id`` on after ``event``.

    A consultation's start takes the fast path (``workflows.fast_start``) when it can.
    """
    runtime = process_runtime()
    fx = None
    if event in START_EVENTS and not data:
        fx = fast_start.try_start(runtime, consultation_id)
    if fx is None:
        fx = engine.advance(runtime, consultation_id, event, claim=True, **data)
    effects.apply(runtime, fx, inline=True)


def dispatch() -> None:
    """Offer free doctors to waiting consultations."""
    runtime = process_runtime()
    effects.pass_started(runtime)
    effects.apply(runtime, doctor_queue.dispatch(runtime), inline=True)


def noop() -> None:
    """Does nothing: RQ's own cost per job, the benchmark's floor."""
