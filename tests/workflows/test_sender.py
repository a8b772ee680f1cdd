"""The leg sender: claimed legs sent off the job's thread, at most once, drained at exit.

On the session's PostgreSQL and Redis and the real stand-in; the worker tests start real
``sampark worker`` processes. A REST delay on ``calls.create`` (real seconds) shows which
thread sent a leg: inline, the job (or ``effects.apply``) lasts as long as the request.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
from rq import SimpleWorker
from rq.job import Job
from sqlalchemy import update

from core.runtime import Runtime, install_process_runtime
from core.settings import Settings, SettingsError
from models import CallLeg, LegRole, Staff
from outbound.sender import LegSender, installed
from tests.workflows.harness import Stack
from tests.workflows.sender_world import (
    World,
    check_backlog_blocks,
    check_sent_off_the_job,
    finish,
    needs_redis,
    sender_installed,
    sender_world,
    worker_process,
)
from workflows import effects, engine
from workflows.jobs import advance


@pytest.fixture(name="w")
def world(runtime: Runtime) -> Iterator[World]:
    with sender_world(runtime) as w:
        yield w


def sender(threads: int, backlog: int | None = None) -> AbstractContextManager[LegSender]:
    """A leg sender of threads, installed for this process."""
    return sender_installed(LegSender(threads, backlog))


# -- in process ----------------------------------------------------------------------------
def test_a_claimed_leg_is_sent_by_a_sender_thread_and_its_call_sid_stored(w: World) -> None:
    with sender(2) as pool:
        check_sent_off_the_job(w, pool, while_sending=lambda: None)


def test_submit_blocks_while_the_backlog_is_full(w: World) -> None:
    with sender(1, backlog=2) as pool:
        check_backlog_blocks(w, pool)


def test_a_retryable_error_releases_the_claim_and_a_retried_job_places_it_once(
    w: World,
) -> None:
    cid = w.consultation()
    w.standin.rest_faults.configure([{"endpoint": "calls.create", "sequence": ["503"]}])
    with sender(2) as pool:
        effects.apply(w.rt, engine.advance(w.rt, cid, "intake_complete", claim=True), inline=True)
        assert pool.drain(timeout=10)
    [leg] = w.legs(cid)
    assert leg.status == "created" and leg.call_sid is None and not w.standin.calls
    queue = w.rt.queue(effects.QUEUE)
    [job] = queue.jobs
    assert job.func_name == "outbound.legs.place_leg" and job.args == (leg.id,)
    assert job.retries_left == 6
    install_process_runtime(w.rt)
    try:
        SimpleWorker([queue], connection=w.rt.redis).work(burst=True)
    finally:
        install_process_runtime(None)
    [leg] = w.legs(cid)
    assert leg.status == "queued" and leg.call_sid in w.standin.calls
    assert len(w.standin.calls) == 1  # the 503 created no call; the retry created one


def test_a_permanent_error_ends_the_leg_and_the_workflow_moves_on(w: World) -> None:
    with w.rt.db.session() as s:  # Twilio refuses the first ANM's number (21211)
        s.execute(update(Staff).where(Staff.code == "ANM-001").values(mobile="+9112"))
    cid = w.consultation(own_spoke=False)
    with sender(2) as pool:
        effects.apply(w.rt, engine.advance(w.rt, cid, "intake_complete", claim=True), inline=True)
        assert pool.drain(timeout=10)
    first, second = w.legs(cid)
    assert first.to_number == "+9112" and first.status == "failed" and first.call_sid is None
    assert first.error_code == 21211
    assert second.to_number == w.mini.anms["ANM-002"]  # the next ANM, placed at once
    assert second.call_sid in w.standin.calls and len(w.standin.calls) == 1


def test_without_a_sender_claimed_legs_are_sent_inline(w: World) -> None:
    """Webhooks, in-process burst workers (the simulator) and tests: nothing installed."""
    assert installed() is None
    cid = w.consultation()
    w.slow_calls(0.4)
    queue = w.rt.queue(effects.QUEUE)
    job = queue.enqueue(advance, cid, "intake_complete")
    install_process_runtime(w.rt)
    try:
        SimpleWorker([queue], connection=w.rt.redis).work(burst=True)
    finally:
        install_process_runtime(None)
    _sent_in_the_job(w, cid, Job.fetch(job.id, connection=w.rt.redis))


def _sent_in_the_job(w: World, cid: int, job: Job) -> None:
    """The leg's CallSid was stored by the job itself, which lasted as long as the request."""
    assert job.get_status() == "finished"
    assert job.started_at is not None and job.ended_at is not None
    assert (job.ended_at - job.started_at).total_seconds() >= 0.35
    [leg] = w.legs(cid)
    assert leg.call_sid in w.standin.calls and len(w.standin.calls) == 1


# -- worker processes ----------------------------------------------------------------------
@pytest.mark.parametrize("stop", ["sigterm", "burst", "max-jobs"])
def test_a_simple_worker_sends_every_claimed_leg_once_before_it_exits(w: World, stop: str) -> None:
    needs_redis(w)
    cids = [w.consultation() for _ in range(4)]
    w.slow_calls(0.6)  # 4 legs on 2 threads: > 1 s of sending after the jobs
    queue = w.rt.queue(effects.QUEUE)
    jobs = [queue.enqueue(advance, cid, "intake_complete") for cid in cids]
    flags = {"sigterm": (), "burst": ("--burst",), "max-jobs": ("--max-jobs", "4")}[stop]
    with worker_process(w, *flags) as proc:
        deadline = time.monotonic() + 60
        while any(j.get_status(refresh=True) != "finished" for j in jobs):
            assert time.monotonic() < deadline and proc.poll() is None, "the jobs did not run"
            time.sleep(0.02)
        unsent = [leg for leg in w.legs() if leg.call_sid is None]
        assert unsent and all(leg.status == "dialing" for leg in unsent)  # jobs ended, not sends
        if stop == "sigterm":
            proc.send_signal(signal.SIGTERM)  # warm shutdown, the worker idle
        finish(proc)
    placed = w.legs()
    assert len(placed) == 4 and all(leg.status == "queued" for leg in placed)
    assert sorted(w.standin.calls) == sorted(str(leg.call_sid) for leg in placed)


@pytest.mark.parametrize("flags", [("--fork",), ("--simple",)], ids=["fork", "simple-0"])
def test_the_forking_worker_and_zero_send_threads_send_inline(
    w: World, flags: tuple[str, ...]
) -> None:
    needs_redis(w)
    cid = w.consultation()
    w.slow_calls(0.4)
    job = w.rt.queue(effects.QUEUE).enqueue(advance, cid, "intake_complete")
    with worker_process(w, "--burst", *flags, threads=0 if flags == ("--simple",) else 4) as proc:
        finish(proc)
    _sent_in_the_job(w, cid, Job.fetch(job.id, connection=w.rt.redis))


def test_send_threads_come_from_the_environment() -> None:
    assert Settings.from_env({}).send_threads == 4
    assert Settings.from_env({"SAMPARK_SEND_THREADS": "0"}).send_threads == 0
    for bad in ("-1", "65", "four"):
        with pytest.raises(SettingsError, match="SAMPARK_SEND_THREADS"):
            Settings.from_env({"SAMPARK_SEND_THREADS": bad})


# -- the whole-consultation harness ---------------------------------------------------------
def test_the_harness_waits_for_legs_still_being_sent(stack: Stack) -> None:
    rest = stack.standin.rest_faults
    rest.configure([{"endpoint": "calls.create", "delay_seconds": 0.8}])
    cid = stack.consultation()
    stack.settle()  # at first no job is left and nothing is due on the stand-in
    placed = stack.legs(cid)
    assert placed and all(leg.call_sid in stack.standin.calls for leg in placed)
    assert "anm-accepted" in stack.reasons(cid)  # the ANM's phone rang, she answered


def test_the_harness_does_not_wait_forever_for_a_leg_a_killed_worker_left(stack: Stack) -> None:
    cid = stack.consultation(handoff=False)
    with stack.runtime.db.session() as s:  # claimed, never sent: the worker died
        s.add(
            CallLeg(
                consultation_id=cid,
                purpose=f"c{cid}:anm:1",
                role=LegRole.ANM,
                from_number=stack.mini.spoke_numbers["HWC-001"],
                to_number=stack.mini.anms["ANM-001"],
                status="dialing",
            )
        )
    started = time.monotonic()
    stack.wait_for_workers(started + 30)
    assert 1.5 < time.monotonic() - started < 10  # waited for it, for a while only
