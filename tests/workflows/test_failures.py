"""Failures: duplicated and reordered callbacks, a killed worker, a flushed Redis, 5xx and 429."""

from __future__ import annotations

import requests

from models import ConsultationState, LegRole
from tests.workflows.harness import HAPPY_PATH, Stack
from tests.workflows.test_consultations import assert_no_leg_placed_twice

S = ConsultationState


def test_duplicated_late_and_reordered_callbacks_change_nothing_twice(stack: Stack) -> None:
    faults = stack.standin.faults
    faults.duplicate_rate = 1.0  # every status callback twice
    faults.reorder_rate = 0.5  # half held back behind the next one
    faults.delay_rate = 0.3
    faults.delay_seconds = (1.0, 5.0)
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    stack.settle()
    assert stack.reasons(cid) == HAPPY_PATH
    assert_no_leg_placed_twice(stack)
    duplicated = [w for w in stack.standin.webhooks() if "duplicated" in (w.get("faults") or [])]
    assert duplicated, "the stand-in did duplicate callbacks"
    assert len(stack.standin.inbox(stack.mini.doctors["DR-GM-1"])) == 1  # one link, not two


def test_a_worker_killed_mid_bridge_and_redis_flushed_lose_nothing(stack: Stack) -> None:
    second = stack.start_worker()
    cids = [
        stack.consultation(complaint=c) for c in ("fever", "pregnancy", "skin", "child_illness")
    ]
    stack.drive(lambda: any(stack.state(c) is S.BRIDGING for c in cids), max_timers=5)
    stack.kill_worker(second)
    stack.runtime.redis.flushdb()  # every queued job and timer gone
    stack.kill_worker(stack.workers[0])
    stack.start_worker()
    stack.drive(lambda: all(stack.state(c) is S.AWAITING_PRESCRIPTION for c in cids))
    stack.settle()
    assert_no_leg_placed_twice(stack)
    for cid in cids:
        assert [leg.role for leg in stack.legs(cid)].count(LegRole.DOCTOR_OFFER) >= 1


def test_5xx_and_429_from_twilio_are_retried_without_duplicate_calls(stack: Stack) -> None:
    rules = [
        {"endpoint": "calls.create", "sequence": ["500", "429", "ok", "503", "ok", "429"]},
        {"endpoint": "participants.create", "sequence": ["503", "429"]},
    ]
    base = stack.standin.base_url
    auth = (stack.runtime.settings.twilio_account_sid, stack.runtime.settings.twilio_auth_token)
    requests.put(f"{base}/_standin/faults/rest", json={"rules": rules}, auth=auth, timeout=5)
    cid = stack.consultation(complaint="fever")
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    stack.settle()
    assert stack.reasons(cid) == HAPPY_PATH
    assert_no_leg_placed_twice(stack)
    injected = requests.get(f"{base}/_standin/faults/rest", auth=auth, timeout=5).json()
    assert sum(injected["injected"].values()) >= 6
