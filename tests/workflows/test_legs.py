"""Legs at most once, in process: a worker's step claims the legs it makes, and a request
that got no answer is never sent again (on the session's database, the real stand-in)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import CallLeg, ConsultationState
from outbound import calls, legs
from standin import StandIn
from telephony.gateway import TelephonyGateway
from tests.builders import intake_done
from tests.workflows.standin_world import on_standin
from workflows import effects, engine

S = ConsultationState


@pytest.fixture
def world(runtime: Runtime) -> Iterator[tuple[Runtime, StandIn, int]]:
    """A runtime whose Twilio is a running stand-in, and one consultation at intake end."""
    with on_standin(runtime) as (rt, standin, mini):
        with rt.db.session() as s:
            cid = intake_done(s, mini.spoke_ids["HWC-001"], 1).id
        yield rt, standin, cid


def _leg(rt: Runtime, cid: int) -> CallLeg:
    with rt.db.session() as s:
        return s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).one()


def test_a_workers_step_commits_its_claim_before_the_request(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    fx = engine.advance(rt, cid, "intake_complete", claim=True)
    leg = _leg(rt, cid)
    assert [leg_id for leg_id, _ in fx.claimed] == [leg.id] and fx.place == []
    assert leg.status == "dialing" and leg.call_sid is None and not standin.calls
    effects.apply(rt, fx, inline=True)
    placed = _leg(rt, cid)
    assert placed.status == "queued" and placed.call_sid in standin.calls
    # A duplicated job or event finds nothing to claim and nothing to start.
    assert legs.place(rt, leg.id) is None
    effects.apply(rt, engine.advance(rt, cid, "intake_complete", claim=True), inline=True)
    assert len(standin.calls) == 1


def test_a_request_with_no_answer_is_never_sent_again(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    assert standin.rest_faults is not None
    standin.rest_faults.configure(
        [
            {
                "endpoint": "calls.create",
                "sequence": ["timeout"],
                "timeout_seconds": 0.6,
                "timeout_then_process": True,  # a slow Twilio that placed the call anyway
            }
        ]
    )
    calls._gateways[id(rt)] = (rt, TelephonyGateway(rt.settings, read_timeout=0.2))
    effects.apply(rt, engine.advance(rt, cid, "intake_complete", claim=True), inline=True)
    leg = _leg(rt, cid)
    assert leg.status == "dialing" and leg.call_sid is None  # the claim is kept
    assert rt.queue("workflow").count == 0  # and no retry was enqueued
    deadline = time.monotonic() + 5
    while not standin.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(standin.calls) == 1  # Twilio did place it
    assert legs.place(rt, leg.id) is None
    time.sleep(0.2)
    assert len(standin.calls) == 1
