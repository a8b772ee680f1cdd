"""The leg sender in a process of its own: off the worker's interpreter, bounded, drained,
replaced when it dies, and never left behind when the worker is killed.

On the session's PostgreSQL and Redis and the real stand-in (which runs in this test
process; the sender child reaches it over HTTP like any Twilio client).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from core.runtime import Runtime
from outbound.sender_process import SenderProcess
from tests.workflows.sender_world import (
    World,
    check_backlog_blocks,
    check_sent_off_the_job,
    claim,
    needs_redis,
    sender_installed,
    sender_world,
    worker_process,
)
from workflows import effects
from workflows.jobs import advance


@pytest.fixture(name="w")
def world(runtime: Runtime) -> Iterator[World]:
    with sender_world(runtime) as w:
        needs_redis(w)
        yield w


def sender_process(
    w: World, threads: int, backlog: int | None = None
) -> AbstractContextManager[SenderProcess]:
    """A sender process, installed for this process."""
    return sender_installed(SenderProcess(w.rt, threads, backlog))


def _sent(w: World) -> list[str | None]:
    return [leg.call_sid for leg in w.legs()]


def _gone(pid: int, within: float) -> bool:
    """Whether process ``pid`` has exited (reaped or a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_a_claimed_leg_is_sent_by_the_child_and_its_call_sid_stored(w: World) -> None:
    with sender_process(w, 2) as pool:
        assert pool.pid is not None and pool.pid != os.getpid()

        def no_sender_threads_here() -> None:
            assert not [t for t in threading.enumerate() if t.name.startswith("leg-sender")]

        check_sent_off_the_job(w, pool, while_sending=no_sender_threads_here)


def test_submit_blocks_while_the_backlog_is_full(w: World) -> None:
    with sender_process(w, 1, backlog=2) as pool:
        check_backlog_blocks(w, pool)


def test_close_sends_everything_handed_over_then_the_child_exits(w: World) -> None:
    claims = [claim(w, w.consultation()) for _ in range(4)]
    w.slow_calls(0.4)
    pool = SenderProcess(w.rt, 2)
    for leg_id, request in claims:
        pool.submit(w.rt, leg_id, request)
    assert not all(_sent(w))  # still being sent when close is called
    assert pool.close(timeout=30)
    assert pool.pid is not None and _gone(pool.pid, 1)
    assert all(_sent(w)) and len(w.standin.calls) == 4
    leg_id, request = claim(w, w.consultation())  # after close: sent inline
    pool.submit(w.rt, leg_id, request)
    assert all(_sent(w)) and len(w.standin.calls) == 5


def test_a_dead_child_is_replaced_and_the_leg_in_hand_is_sent(w: World) -> None:
    first, second = (claim(w, w.consultation()) for _ in range(2))
    with sender_process(w, 1, backlog=1) as pool:
        dead = pool.pid
        assert dead is not None
        os.kill(dead, signal.SIGKILL)  # idle: the pipe is broken when the leg is handed over
        assert _gone(dead, 5)
        pool.submit(w.rt, *first)
        assert pool.pid != dead
        assert pool.drain(timeout=10)
        w.slow_calls(2)
        pool.submit(w.rt, *second)  # its one slot is taken ...
        time.sleep(0.3)
        sending = pool.pid
        assert sending is not None and sending != dead
        os.kill(sending, signal.SIGKILL)  # ... and never comes back
        w.slow_calls(0)
        third = claim(w, w.consultation())
        started = time.monotonic()
        pool.submit(w.rt, *third)  # noticed within a second, a new child sends it
        assert time.monotonic() - started < 3
        assert pool.drain(timeout=10)
    by_id = {leg.id: leg for leg in w.legs()}
    assert by_id[first[0]].call_sid in w.standin.calls
    assert by_id[third[0]].call_sid in w.standin.calls
    assert by_id[second[0]].call_sid is None  # lost with its child: never placed again


def test_a_worker_killed_outright_leaves_no_sender_behind(w: World) -> None:
    cids = [w.consultation() for _ in range(2)]
    w.slow_calls(0.5)
    queue = w.rt.queue(effects.QUEUE)
    jobs = [queue.enqueue(advance, cid, "intake_complete") for cid in cids]
    with worker_process(w, threads=1) as proc:
        deadline = time.monotonic() + 60
        while any(j.get_status(refresh=True) != "finished" for j in jobs):
            assert time.monotonic() < deadline and proc.poll() is None, "the jobs did not run"
            time.sleep(0.02)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) == 2  # the sender and RQ's scheduler (no cron: --no-cron)
        assert not all(_sent(w))  # the second leg is still being sent
        os.kill(proc.pid, signal.SIGKILL)  # the worker alone, not its process group
        proc.wait(timeout=10)
        # The sender sends what it holds, sees the pipe close and exits. (RQ's scheduler
        # lives on until its supervisor's kill: RQ's own behaviour.)
        deadline = time.monotonic() + 10
        while not (gone := [c for c in children if _gone(int(c), 0.05)]):
            assert time.monotonic() < deadline, "no child exited"
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
    started = [
        json.loads(line) for line in err.decode().splitlines() if "leg sender process" in line
    ]
    assert [str(record["pid"]) for record in started] == gone
    assert all(_sent(w)) and len(w.standin.calls) == 2
