"""Running a step's effects after its commit: calls, redirects, SMS, timers, the doctor queue;
and the workflow's two RQ jobs (``advance``, ``dispatch``), which run a step and then its effects.

A job applies effects and effects arm the same jobs (a deadline's timer is ``advance``, a
re-check queues ``dispatch``): both live here so each job is enqueued by its function
object without an import cycle. ``workflows/jobs.py`` is their public name.

Inside a worker (``inline=True``) calls are placed and the doctor queue is run at
once, which keeps the number of jobs per consultation small; a retryable failure
falls back to a job retried with backoff. The legs a worker's step claimed are sent
by the process's leg sender (``outbound/sender.py``: threads of ``sampark worker
--simple``) when one is installed, else inline. From a webhook everything is enqueued,
so Twilio gets its TwiML without waiting on Twilio. Redis being unavailable is
logged and survived: each state's deadline is in the database for the sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from rq import Retry

from core.runtime import Runtime, process_runtime
from outbound import calls, legs
from outbound.sender import installed
from outbound.sms import enqueue_delivery
from workflows import dispatch as doctor_queue
from workflows import engine, fast_start
from workflows.context import START_EVENTS
from workflows.store import Effects

log = logging.getLogger(__name__)
QUEUE = "workflow"
#: Backoff for calls to Twilio that failed in a retryable way (seconds).
GATEWAY_RETRY = legs.GATEWAY_RETRY
JOB_TIMEOUT = 60
#: A queued doctor-queue pass's key lives this long at most (seconds).
PASS_QUEUED_S = 60


def _safely(what: str, action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception as exc:
        log.error(
            "workflow effect not scheduled; the sweeper will re-drive it",
            extra={"effect": what, "error": repr(exc)},
        )


def enqueue(
    runtime: Runtime, func: Callable[..., Any], *args: Any, retry: Retry | None = None
) -> None:
    """Enqueue the job ``func`` on the workflow's queue (never raises)."""
    _safely(
        func.__name__,
        lambda: runtime.queue(QUEUE).enqueue(func, *args, retry=retry, job_timeout=JOB_TIMEOUT),
    )


def _timer(runtime: Runtime, at: datetime, consultation_id: int) -> None:
    """Arm the deadline's RQ timer, never due before the deadline itself.

    RQ keeps scheduled times in whole seconds, truncated, and its scheduler moves a job
    once that second has begun: a timer for 12.7 s would run from 12.0 s on, find the
    deadline not yet passed and do nothing, leaving the consultation to the sweeper's
    next pass (up to a minute late). So the timer is set to the next whole second.
    """
    due = at if at.microsecond == 0 else at.replace(microsecond=0) + timedelta(seconds=1)
    runtime.queue(QUEUE).enqueue_at(
        due, advance, consultation_id, "deadline", job_timeout=JOB_TIMEOUT
    )


def _pass_queued_key(runtime: Runtime) -> str:
    return f"{runtime.queue(QUEUE).name}:doctor-queue-pass-queued"


def dispatch_soon(runtime: Runtime) -> None:
    """Queue one doctor-queue pass unless one is queued and not yet started.

    Each consultation waiting for a doctor re-checks every ``doctor_recheck_s``; with
    many waiting, one pass per re-check would run the whole queue once per patient. A
    key set with ``NX`` marks a queued pass; the pass clears it as it starts, so a
    re-check committed after that queues the next pass and none goes unserved. The key
    expires (a lost job does not block passes for long); if Redis cannot say, the pass
    is queued anyway (an extra pass is harmless: they are serialised and idempotent).
    """
    try:
        if not runtime.redis.set(_pass_queued_key(runtime), "1", nx=True, ex=PASS_QUEUED_S):
            return
    except Exception as exc:
        log.warning("doctor-queue pass key unavailable", extra={"error": repr(exc)})
    runtime.queue(QUEUE).enqueue(dispatch, job_timeout=JOB_TIMEOUT)


def pass_started(runtime: Runtime) -> None:
    """A doctor-queue pass is starting: re-checks from now on queue the next one."""
    try:
        runtime.redis.delete(_pass_queued_key(runtime))
    except Exception as exc:
        log.warning("doctor-queue pass key unavailable", extra={"error": repr(exc)})


def apply(runtime: Runtime, fx: Effects, *, inline: bool = False, depth: int = 0) -> None:
    """Carry out ``fx`` (after the transaction that produced it has committed)."""
    # Legs this process claimed in the step's transaction are always sent by it.
    sender = installed() if fx.claimed else None
    for leg_id, request in fx.claimed:
        if sender is not None:
            sender.submit(runtime, leg_id, request)
        else:
            legs.send_claimed(runtime, leg_id, request)
    for leg_id in fx.place:
        if not inline:
            legs.enqueue_place(runtime, leg_id)
        else:
            legs.place_now(runtime, leg_id)
    for sid, twiml in fx.redirect:
        enqueue(runtime, calls.redirect_call, sid, twiml, retry=GATEWAY_RETRY)
    for sid in fx.hangup:
        enqueue(runtime, calls.hangup_call, sid, retry=GATEWAY_RETRY)
    for sms_id in fx.sms:
        enqueue_delivery(runtime, sms_id)
    for at, consultation_id in fx.timers:
        _safely("timer", partial(_timer, runtime, at, consultation_id))
    if fx.recheck and not fx.dispatch:
        _safely("dispatch", partial(dispatch_soon, runtime))
    if fx.dispatch:
        if inline and depth < 3:
            try:
                apply(runtime, doctor_queue.dispatch(runtime), inline=True, depth=depth + 1)
                return
            except Exception as exc:
                log.error("doctor queue failed; enqueued", extra={"error": repr(exc)})
        enqueue(runtime, dispatch)


# ---------------------------------------------------------------------- the jobs
def advance(consultation_id: int, event: str, **data: Any) -> None:
    """The job: drive consultation ``consultation_id`` on after ``event``.

    A consultation's start takes the fast path (``workflows.fast_start``) when it can.
    """
    runtime = process_runtime()
    fx = None
    if event in START_EVENTS and not data:
        fx = fast_start.try_start(runtime, consultation_id)
    if fx is None:
        fx = engine.advance(runtime, consultation_id, event, claim=True, **data)
    apply(runtime, fx, inline=True)


def dispatch() -> None:
    """The job: one doctor-queue pass, offering free doctors to waiting consultations."""
    runtime = process_runtime()
    pass_started(runtime)
    apply(runtime, doctor_queue.dispatch(runtime), inline=True)
