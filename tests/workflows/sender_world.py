"""Shared by the leg-sender tests: a world on the stand-in, claimed legs, worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from models import CallLeg, Consultation, ConsultationState, Patient
from sampark.runtime import Runtime
from telephony.standin import StandIn
from tests.builders import MiniDistrict
from tests.workflows.standin_world import on_standin
from workflows import engine

ROOT = Path(__file__).resolve().parents[2]
S = ConsultationState


@dataclass
class World:
    """A runtime whose Twilio is a running stand-in, over a mini district."""

    rt: Runtime
    standin: StandIn
    mini: MiniDistrict
    n: int = 0

    def consultation(self) -> int:
        """A consultation at the end of its intake (the workflow has not started)."""
        self.n += 1
        with self.rt.db.session() as s:
            mobile = f"+9198123{self.n:05d}"
            c = Consultation(
                reference=f"SND{self.n:04d}",
                caller_mobile=mobile,
                spoke_id=self.mini.spoke_ids["HWC-001"],
                patient=Patient(mobile=mobile, age_years=30, sex="female"),
                complaint="fever",
                days=2,
            )
            s.add(c)
            s.flush()
            c.transition(S.INTAKE_COMPLETE, "test")
            return c.id

    def legs(self, cid: int | None = None) -> list[CallLeg]:
        with self.rt.db.session() as s:
            q = select(CallLeg).order_by(CallLeg.id)
            if cid is not None:
                q = q.where(CallLeg.consultation_id == cid)
            return list(s.scalars(q))

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
