"""``sampark worker``: jobs in the worker process by default, a work horse per job with
``--fork``, and a simple worker that stops when it has grown too big."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from rq.job import Job

from core.runtime import Runtime
from sampark.cli.worker import worker_class

ROOT = Path(__file__).resolve().parents[2]


def _burst(runtime: Runtime, *flags: str) -> tuple[int, int]:
    """Run ``sampark worker --burst`` over one job: (the job's process id, the worker's)."""
    if runtime.settings.redis_url is None:
        pytest.skip("a worker process needs a real Redis server")
    job = runtime.queue("default").enqueue("os.getpid")
    settings = runtime.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SAMPARK_QUEUE_PREFIX": settings.queue_prefix,
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/sampark"), "worker", "--burst", "--queues", "default", *flags],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    job = Job.fetch(job.id, connection=runtime.redis)
    assert job.get_status() == "finished"
    assert (b"(simple)" in out) == ("--fork" not in flags)
    return int(job.return_value()), proc.pid


def test_jobs_run_in_the_worker_process_by_default(runtime: Runtime) -> None:
    job_pid, worker_pid = _burst(runtime)
    assert job_pid == worker_pid


def test_fork_runs_each_job_in_a_work_horse(runtime: Runtime) -> None:
    job_pid, worker_pid = _burst(runtime, "--fork")
    assert job_pid != worker_pid


def test_a_simple_worker_over_its_memory_limit_stops_after_the_job_in_hand(
    runtime: Runtime,
) -> None:
    if runtime.settings.redis_url is None:
        pytest.skip("needs a real Redis server")
    queue = runtime.queue("default")
    jobs = [queue.enqueue("workflows.jobs.noop") for _ in range(3)]
    worker = worker_class(False, 1)([queue], connection=runtime.redis)  # 1 MB: always over
    worker.work(burst=True, with_scheduler=False)
    statuses = [Job.fetch(j.id, connection=runtime.redis).get_status() for j in jobs]
    assert statuses == ["finished", "queued", "queued"]
    roomy = worker_class(False, 0)([queue], connection=runtime.redis)  # 0: no limit
    roomy.work(burst=True, with_scheduler=False)
    assert queue.count == 0


def test_the_sweeper_runs_as_often_as_the_worker_is_told(runtime: Runtime) -> None:
    """With passes every 5 s, an intake call gone silent after the worker started is ended
    within seconds (at the default minute it would wait up to 60 s)."""
    import signal
    import time
    from datetime import timedelta

    from sqlalchemy import update

    from core.timeutil import utcnow
    from models import Consultation, ConsultationState, IvrSession

    if runtime.settings.redis_url is None:
        pytest.skip("a worker process needs a real Redis server")
    settings = runtime.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SAMPARK_QUEUE_PREFIX": settings.queue_prefix,
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "SAMPARK_SWEEP_INTERVAL_S": "5",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/sampark"), "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(3)  # the worker's first pass has run (or not): this intake comes after it
        with runtime.db.session() as s:
            c = Consultation(reference="SW0001", caller_mobile="+919431012345")
            s.add(c)
            s.flush()
            call = IvrSession(call_sid="CA" + "7" * 32, consultation_id=c.id, node="age",
                              caller=c.caller_mobile, dialled="+916456220001")  # fmt: skip
            s.add(call)
            cid = c.id
        with runtime.db.session() as s:
            s.execute(update(IvrSession).values(updated_at=utcnow() - timedelta(minutes=10)))
        state = None
        for _ in range(30):
            time.sleep(0.5)
            with runtime.db.session() as s:
                state = s.get_one(Consultation, cid).state
            if state is not ConsultationState.INTAKE:
                break
        assert state is ConsultationState.ABANDONED
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
