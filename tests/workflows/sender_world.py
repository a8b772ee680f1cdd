"""Shared by the leg-sender tests: a world on the stand-in, claimed legs, worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from core.runtime import Runtime
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    NumberKind,
    Patient,
    Roster,
    ServiceNumber,
    Spoke,
    Staff,
    StaffRole,
)
from outbound import legs
from outbound.sender import install
from standin import StandIn
from tests.builders import ALL_DAY, MiniDistrict
from tests.workflows.harness import call_legs
from tests.workflows.standin_world import on_standin
from workflows import effects, engine

ROOT = Path(__file__).resolve().parents[2]
S = ConsultationState


@dataclass
class World:
    """A runtime whose Twilio is a running stand-in, over a mini district."""

    rt: Runtime
    standin: StandIn
    mini: MiniDistrict
    n: int = 0

    def consultation(self, *, own_spoke: bool = True) -> int:
        """A consultation at the end of its intake (the workflow has not started).

        With ``own_spoke``, at a spoke of its own whose one ANM is called first: the legs
        these tests send go to distinct numbers (one call of ours per number,
        ``outbound/lines.py``); else at HWC-001.
        """
        self.n += 1
        if not own_spoke:
            return self._consultation(self.mini.spoke_ids["HWC-001"])
        with self.rt.db.session() as s:
            home = s.get_one(Spoke, self.mini.spoke_ids["HWC-001"])
            spoke = Spoke(code=f"SND-{self.n:04d}", short_code=f"9{self.n:03d}",
                          name=f"HWC {self.n}", village=f"Village {self.n}",
                          block_id=home.block_id, hub_id=home.hub_id)  # fmt: skip
            anm = Staff(code=f"ANM-S{self.n:04d}", name=f"ANM {self.n}", role=StaffRole.ANM,
                        mobile=f"+9199909{self.n:05d}", languages=["hi"], rank=1,
                        district_id=self.mini.district_id, spoke=spoke, fictional=True)  # fmt: skip
            anm.rosters = [Roster(weekday=d, starts=ALL_DAY[0], ends=ALL_DAY[1])
                           for d in range(7)]  # fmt: skip
            number = f"+91645699{self.n:04d}"
            s.add_all([spoke, anm, ServiceNumber(number=number, kind=NumberKind.SPOKE,
                                                 spoke=spoke, district_id=self.mini.district_id,
                                                 fictional=True)])  # fmt: skip
            s.flush()
            self.standin.add_number(number)
            spoke_id = spoke.id
        return self._consultation(spoke_id)

    def _consultation(self, spoke_id: int) -> int:
        with self.rt.db.session() as s:
            mobile = f"+9198123{self.n:05d}"
            c = Consultation(
                reference=f"SND{self.n:04d}",
                caller_mobile=mobile,
                spoke_id=spoke_id,
                patient=Patient(mobile=mobile, age_years=30, sex="female"),
                complaint="fever",
                days=2,
            )
            s.add(c)
            s.flush()
            c.transition(S.INTAKE_COMPLETE, "test")
            return c.id

    def legs(self, cid: int | None = None) -> list[CallLeg]:
        return call_legs(self.rt, cid)

    def slow_calls(self, seconds: float) -> None:
        """Every ``calls.create`` takes ``seconds`` (real time) before Twilio answers."""
        self.standin.rest_faults.configure([{"endpoint": "calls.create", "delay_seconds": seconds}])


@contextmanager
def sender_world(runtime: Runtime) -> Iterator[World]:
    """A ``World`` on a fresh stand-in (stopped at the end)."""
    with on_standin(runtime) as (rt, standin, mini):
        yield World(rt, standin, mini)


def claim(w: World, cid: int) -> tuple[int, dict[str, object]]:
    """A worker's step: the consultation's first leg, claimed; its request."""
    fx = engine.advance(w.rt, cid, "intake_complete", claim=True)
    [(leg_id, request)] = fx.claimed
    return leg_id, request


class Pool(Protocol):
    """A leg sender as the tests drive it (threads here, or a process)."""

    @property
    def pending(self) -> int: ...
    def submit(self, runtime: Runtime, leg_id: int, request: dict[str, Any]) -> None: ...
    def drain(self, timeout: float | None = None) -> bool: ...
    def close(self, timeout: float | None = None) -> bool: ...


P = TypeVar("P", bound=Pool)


@contextmanager
def sender_installed(pool: P) -> Iterator[P]:
    """``pool`` installed as this process's leg sender (as ``sampark worker --simple``
    does), closed at the end."""
    install(pool)
    try:
        yield pool
    finally:
        install(None)
        pool.close(timeout=30)


def check_sent_off_the_job(w: World, pool: Pool, while_sending: Callable[[], None]) -> None:
    """With ``pool`` installed: a step's claimed leg is sent without the step waiting, its
    CallSid stored once, and a duplicated job finds nothing to claim."""
    cid = w.consultation()
    w.slow_calls(0.5)
    fx = engine.advance(w.rt, cid, "intake_complete", claim=True)
    started = time.monotonic()
    effects.apply(w.rt, fx, inline=True)
    assert time.monotonic() - started < 0.3  # the step's effects did not wait on Twilio
    [leg] = w.legs(cid)
    assert leg.status == "dialing" and leg.call_sid is None  # still being sent
    while_sending()
    assert pool.drain(timeout=10)
    [leg] = w.legs(cid)
    assert leg.status == "queued" and leg.call_sid in w.standin.calls
    assert len(w.standin.calls) == 1
    assert legs.place(w.rt, leg.id) is None


def check_backlog_blocks(w: World, pool: Pool) -> None:
    """``pool`` (1 sending thread, backlog 2): a third leg waits for the first send to end."""
    claims = [claim(w, w.consultation()) for _ in range(3)]
    w.slow_calls(0.8)
    started = time.monotonic()
    for leg_id, request in claims[:2]:  # one being sent, one waiting: the backlog is full
        pool.submit(w.rt, leg_id, request)
    assert time.monotonic() - started < 0.3
    third = threading.Thread(target=pool.submit, args=(w.rt, *claims[2]))
    third.start()
    time.sleep(0.4)
    assert third.is_alive() and pool.pending == 2  # blocked, not queued
    third.join(timeout=10)
    assert not third.is_alive()
    assert time.monotonic() - started > 0.7  # it waited for the first send to end
    assert pool.drain(timeout=10)
    assert all(leg.call_sid for leg in w.legs()) and len(w.standin.calls) == 3


@contextmanager
def worker_process(
    w: World, *flags: str, threads: int | None = 2
) -> Iterator[subprocess.Popen[bytes]]:
    """A ``sampark worker`` process on the workflow queue (killed if the test fails first)."""
    settings = w.rt.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SAMPARK_QUEUE_PREFIX": settings.queue_prefix,
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SAMPARK_SEND_THREADS", None)
    if threads is not None:
        env["SAMPARK_SEND_THREADS"] = str(threads)
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/sampark"), "worker", "--no-cron", "--queues", "workflow", *flags],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:  # the worker and anything it left behind (an orphaned RQ scheduler)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode is None:
            proc.communicate()


def finish(proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait for the worker to exit by itself, successfully."""
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()[-2000:]


def needs_redis(w: World) -> None:
    if w.rt.settings.redis_url is None or w.rt.db.is_sqlite:
        pytest.skip("worker processes need real PostgreSQL and Redis")
