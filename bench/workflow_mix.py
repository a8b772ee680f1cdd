"""The workflow's real job mix on one ``sampark worker`` process (for ``workflow_bench.py``).

``ops/simulate.py`` drives N whole consultations through the stand-in on a
virtual clock, but runs the jobs in its own process. Here the same simulation hands
every job to a separate ``sampark worker`` (this file run as a script: the
worker command itself, reading the workflow's time from the simulation's virtual
clock through a shared memory-mapped file, 8 bytes). The simulation's loop is kept;
three of its hooks are replaced, in the benchmark only:

* ``_drain`` waits for the worker to empty the queues (none queued, none started, no
  claimed leg without a CallSid, twice 5 ms apart: the worker's leg sender sends legs
  after their job has ended; a leg left so is waited for 2 s at most) instead of
  running an in-process burst worker; first it moves
  every scheduled RQ job due by the *virtual* time onto its queue (what RQ's
  scheduler does by real time), so the workflow's timers and retries run as jobs;
  and every 60 virtual seconds it queues ``ops.jobs.sweep`` (the cron job).
* at a consultation's deadline the simulation's in-process ``sweep`` becomes: time
  moves on to the next whole second (RQ keeps scheduled times in whole seconds; a
  timer is set to the second after its deadline), the timer jobs due run on the
  worker; only if a row is still past its deadline a ``ops.jobs.sweep`` job is
  queued (counted as ``backstop_sweeps``).
* the virtual clock publishes its time to the worker at every change.

Every finished job of the four queues is read back from RQ's ``FinishedJobRegistry``
(``started_at``/``ended_at``) while the run goes on (before ``result_ttl`` expires).
A simple worker's leg sender sends claimed legs after their job has ended: busy time
then leaves those sends out, and the saturated estimate is optimistic; run the mix with
``SAMPARK_SEND_THREADS=0`` for the like-for-like estimate.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ops import jobs as ops_jobs  # noqa: E402
from workflows import jobs as workflow_jobs  # noqa: E402

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
QUEUES = ("workflow", "calls", "sms", "default")  # sampark.cli.worker.DEFAULT_QUEUES
CRON_S = 60.0


class FileClock:
    """The worker's side: the time the benchmark's virtual clock last published."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (lives as long as the worker)
        self._map = mmap.mmap(self._file.fileno(), 8, access=mmap.ACCESS_READ)

    def now(self) -> datetime:
        return EPOCH + struct.unpack("q", self._map[:8])[0] * US


def shared_clock_class(path: str) -> type:
    """A stand-in ``VirtualClock`` that writes its time to ``path`` whenever it moves."""
    from standin import VirtualClock

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(fd, 8)
    shared = mmap.mmap(fd, 8)
    os.close(fd)

    class SharedClock(VirtualClock):
        @property
        def _t(self) -> float:
            return self._shared_t

        @_t.setter
        def _t(self, value: float) -> None:
            self._shared_t = value
            shared[:8] = struct.pack("q", (self._epoch + timedelta(seconds=value) - EPOCH) // US)

    return SharedClock


def job_rates(records: list[tuple[str, datetime, datetime]]) -> dict[str, Any]:
    """Jobs per second of busy time (sum of ended - started) and of wall time (first start
    to last end: the worker's rate only if it never waited for work in between)."""
    busy = sum((end - start).total_seconds() for _, start, end in records)
    wall = (max(r[2] for r in records) - min(r[1] for r in records)).total_seconds()
    n = len(records)
    return {
        "jobs": n,
        "busy_s": round(busy, 3),
        "wall_s": round(wall, 3),
        "busy_ms_per_job": round(1000 * busy / n, 3),
        "wall_ms_per_job": round(1000 * wall / n, 3),
        "per_s_busy": round(n / busy, 1),
        "per_s_wall": round(n / wall, 1),
    }


def by_function(records: list[tuple[str, datetime, datetime]]) -> dict[str, dict[str, float]]:
    table: dict[str, list[float]] = {}
    for func, start, end in records:
        table.setdefault(func, []).append((end - start).total_seconds() * 1000)
    return {
        func: {"jobs": len(ms), "mean_ms": round(sum(ms) / len(ms), 2), "max_ms": round(max(ms), 1)}
        for func, ms in sorted(table.items(), key=lambda kv: -len(kv[1]))
    }


def _fetched(connection: Any, ids: list[str]) -> list[tuple[str, Any]]:
    from rq.job import Job

    return list(zip(ids, Job.fetch_many(ids, connection=connection), strict=True))


class _Harvest:
    """Finished (and failed) jobs of the queues, read back from RQ's registries."""

    def __init__(self, runtime: Any) -> None:
        from rq.registry import FailedJobRegistry, FinishedJobRegistry

        self.connection = runtime.redis
        self.finished = [FinishedJobRegistry(queue=runtime.queue(q)) for q in QUEUES]
        self.failed_reg = [FailedJobRegistry(queue=runtime.queue(q)) for q in QUEUES]
        self.records: list[tuple[str, datetime, datetime]] = []
        self.failed: dict[str, int] = {}

    def __call__(self) -> None:
        for registry in self.finished:
            ids = registry.get_job_ids()
            for job_id, job in _fetched(self.connection, ids):
                if job is not None and job.started_at and job.ended_at:
                    self.records.append((job.func_name, job.started_at, job.ended_at))
                registry.remove(job_id, delete_job=True)
        for registry in self.failed_reg:
            ids = registry.get_job_ids()
            for job_id, job in _fetched(self.connection, ids):
                name = job.func_name if job is not None else "?"
                self.failed[name] = self.failed.get(name, 0) + 1
                registry.remove(job_id, delete_job=True)


def _simulation_class() -> type:
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from ops import simulate
    from ops.sweeper import due_consultations
    from tests.workflows.sending import LegsBeingSent

    class MixSimulation(simulate.Simulation):
        """The simulation, its jobs on an external worker (see the module docstring)."""

        def start_external(self) -> None:
            rt = self.runtime
            self.queues = [rt.queue(q) for q in QUEUES]
            self.started = [StartedJobRegistry(queue=q) for q in self.queues]
            self.scheduled = [ScheduledJobRegistry(queue=q) for q in self.queues]
            self.harvest = _Harvest(rt)
            self.last_cron = self.standin.clock.now()
            self.last_harvest = time.monotonic()
            self.backstop_sweeps = 0
            self.backstop_states: dict[str, int] = {}
            self.cron_sweeps = 0
            self.sending = LegsBeingSent()  # claimed legs a send may still be placing

        def _move_due(self) -> None:
            score = int((self.standin.clock.now() - EPOCH).total_seconds())
            for queue, registry in zip(self.queues, self.scheduled, strict=True):
                ids = registry.get_jobs_to_schedule(score)
                for job_id, job in _fetched(self.runtime.redis, ids):
                    registry.remove(job_id)
                    if job is not None:
                        queue.enqueue_job(job)

        def _busy(self) -> bool:
            with self.runtime.redis.pipeline(transaction=True) as pipe:
                for q, started in zip(self.queues, self.started, strict=True):
                    pipe.llen(q.key)
                    pipe.zcard(started.key)
                return any(pipe.execute()) or self.sending(self.runtime)

        def _drain(self) -> None:
            now = self.standin.clock.now()
            if (now - self.last_cron).total_seconds() >= CRON_S:
                self.last_cron = now
                self.cron_sweeps += 1
                self.queues[0].enqueue(ops_jobs.sweep, job_timeout=120)
            self._move_due()
            idle = 0
            while idle < 2:
                time.sleep(0.005 if idle else 0.002)
                idle = 0 if self._busy() else idle + 1
                if not idle:
                    self._move_due()  # retries and timers queued by the jobs just run
            if time.monotonic() - self.last_harvest > 5.0:
                self.harvest()
                self.last_harvest = time.monotonic()

        def timers(self, runtime: Any, now: datetime) -> dict[str, int]:
            """Replaces the simulation's in-process ``sweep`` at a deadline."""
            # RQ's scheduler keeps whole seconds and a timer is set to the second after its
            # deadline (workflows.effects._timer): time moves on to that second.
            clock = self.standin.clock
            t = clock.now() + timedelta(milliseconds=1)
            whole = t if t.microsecond == 0 else t.replace(microsecond=0) + timedelta(seconds=1)
            clock.advance((whole - clock.now()).total_seconds())
            self._drain()
            due = due_consultations(runtime, self.standin.clock.now())
            if due:
                from models import Consultation

                with runtime.db.session() as s:
                    for c in s.query(Consultation).filter(Consultation.id.in_(due)):
                        key = c.state.value
                        self.backstop_states[key] = self.backstop_states.get(key, 0) + 1
                self.backstop_sweeps += 1
                self.queues[0].enqueue(ops_jobs.sweep, job_timeout=120)
                self._drain()
            return {}

    return MixSimulation


def run_mix(
    settings: Any,
    database_url: str,
    patients: int,
    worker_class: str,
    base_env: dict[str, str],
    noop_jobs: int,
) -> dict[str, Any]:
    """N whole consultations, then ``noop_jobs`` no-ops queued beforehand, on one worker."""
    from ops import simulate
    from ops.simulate_setup import TelephonySetup
    from sampark.app import create_app

    fd, clock_file = tempfile.mkstemp(prefix="sampark-clock-")
    os.close(fd)
    saved = simulate.VirtualClock, simulate.sweep
    simulate.VirtualClock = shared_clock_class(clock_file)
    try:
        sim = _simulation_class()(
            settings, patients=patients, real_time=False, seed=11,
            over_seconds=3600.0 * patients / 1000, database_url=database_url,
            app_factory=create_app,
            setup=TelephonySetup(),  # no region: the figures compare with the earlier runs'
        )  # fmt: skip
    finally:
        simulate.VirtualClock = saved[0]
    sim.start_external()
    sim.standin.clock.advance(0)  # publish the start time
    s = sim.settings
    env = {
        **base_env, "DATABASE_URL": database_url, "SAMPARK_QUEUE_PREFIX": s.queue_prefix,
        "TWILIO_API_BASE_URL": s.twilio_api_base_url, "SAMPARK_WORKFLOW": json.dumps({}),
        "BENCH_CLOCK_FILE": clock_file,
    }  # fmt: skip
    args = [sys.executable, __file__, "--no-cron", "--queues", ",".join(QUEUES)]
    args.append("--simple" if worker_class == "simple" else "--fork")
    worker = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        from rq import Worker

        deadline = time.monotonic() + 60
        while not Worker.all(connection=sim.runtime.redis):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the mix worker did not start")
            time.sleep(0.1)
        simulate.sweep = sim.timers
        logging.disable(logging.INFO)  # the app's request logs: the driver's CPU, not the worker's
        try:
            summary = sim.run()
        finally:
            simulate.sweep = saved[1]
            logging.disable(logging.NOTSET)
        sim.harvest()
        mix = list(sim.harvest.records)
        failed = dict(sim.harvest.failed)
        # The same worker process, no-op jobs queued beforehand (never idle): RQ's floor.
        from core.runtime import install_process_runtime

        install_process_runtime(sim.runtime)
        q = sim.queues[0]
        for _ in range(noop_jobs):
            q.enqueue(workflow_jobs.noop, result_ttl=600)
        sim._drain()
        sim.harvest()
        noop = [r for r in sim.harvest.records[len(mix) :] if r[0] == "workflows.jobs.noop"]
        install_process_runtime(None)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        sim.runtime.close()
        os.unlink(clock_file)
    return {
        "patients": patients,
        "summary": summary.as_dict(),
        "by_function": by_function(mix),
        "failed_jobs": failed,
        "cron_sweeps": sim.cron_sweeps,
        "backstop_sweeps": sim.backstop_sweeps,
        "backstop_states": sim.backstop_states,
        "mix": job_rates(mix),
        "noop_same_worker": job_rates(noop),
    }


if __name__ == "__main__":  # the worker: ``sampark worker`` on the benchmark's virtual time
    from core import clock
    from sampark.cli.worker import worker_cmd

    with clock.use_clock(FileClock(os.environ["BENCH_CLOCK_FILE"])):
        worker_cmd.main(args=sys.argv[1:], prog_name="sampark worker")
