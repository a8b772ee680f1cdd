"""The consultation workflow's entry points: lock the row, run one step, collect its effects.

Steps are *level-triggered*: each one looks at what the database says (state,
legs, who is in the conference) and does the next right thing, so an event that
comes twice, late or out of order finds nothing left to do. Events are hints:
``advance(id, "deadline")`` from a lost timer or the sweeper drives a
consultation on from its stored state alone.

The top of the state machine: ``steps`` routes the event to the step modules, which
run on ``workflows.context.Ctx`` and never import this module.
"""

from __future__ import annotations

import logging
from datetime import datetime

from core import clock
from core.runtime import Runtime
from models.telephony import LegStatus
from workflows import steps
from workflows.config import workflow_config
from workflows.context import START_EVENTS, Ctx
from workflows.legs import describe, wanted
from workflows.store import Effects, locked

log = logging.getLogger(__name__)
__all__ = ["START_EVENTS", "Ctx", "advance", "run_step"]


def run_step(
    runtime: Runtime,
    consultation_id: int,
    step: str,
    *,
    now: datetime | None = None,
    claim: bool = False,
    **data: object,
) -> tuple[Effects, str | None]:
    """Run ``step`` on the locked consultation.

    With ``claim`` (a worker that applies the effects itself, inline), the legs the
    step creates are claimed in its transaction (``fx.claimed``): one transaction
    fewer per call placed.

    Returns:
        The effects to apply after the commit, and the TwiML a webhook step answers with.
    """
    fx = Effects()
    with locked(runtime, consultation_id) as (session, c):
        if c is None:
            log.warning("no such consultation", extra={"consultation_id": consultation_id})
            return fx, None
        cfg = workflow_config(runtime.settings)
        ctx = Ctx(runtime, session, c, now or clock.now(), cfg, fx, claim=claim)
        steps.handle(ctx, step, data)
        _requests(ctx)
        result = ctx.result
    return fx, result


def _requests(ctx: Ctx) -> None:
    """The requests of the legs claimed in this step (a leg no longer wanted is canceled)."""
    for leg_id, leg in ctx.claimed.items():
        if wanted(ctx.c, leg):
            ctx.fx.claimed.append((leg_id, describe(ctx.runtime, ctx.c, leg)))
        else:
            leg.status, leg.outcome = LegStatus.CANCELED, leg.outcome or "not-needed"


def advance(
    runtime: Runtime,
    consultation_id: int,
    event: str,
    *,
    now: datetime | None = None,
    claim: bool = False,
    **data: object,
) -> Effects:
    """Drive a consultation on after ``event`` (a hint: the stored state decides)."""
    return run_step(runtime, consultation_id, event, now=now, claim=claim, **data)[0]
