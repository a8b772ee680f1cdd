"""Benchmark of the consultation workflow on RQ, beside RQ's own no-op floor.

Run: ``BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/workflow_bench.py``
(``--jobs``, ``--latency-samples``, ``--peak-patients`` to size it; ``--json``).

It creates a database of its own on the server (dropped afterwards) and uses
one Redis database (flushed), and measures, in the same run:

1. RQ's floor: no-op jobs per second through one ``sampark worker`` process of
   the same class (``--simple``, the default, or ``--worker-class fork``: RQ's
   forking ``Worker``, ``sampark worker --fork``). Phases 1 and 2 alternate in
   ``--rounds`` rounds, ABBA; the rates are totals over the rounds
   (``bench/workflow_rounds.py``).
2. Workflow jobs per second: ``workflows.jobs.advance(id, "intake_complete")``,
   each reading the consultation, choosing the ANM, writing the move, the leg
   (claimed) and its transition in one compare-and-set statement
   (``workflows/fast_start.py``), placing the call on the Twilio stand-in (HTTP +
   OpenAPI validation), storing its CallSid (one statement) and arming the timer.
   Target: at least half the no-op rate. The ANM's menu grace is set to an
   hour so that no timer comes due inside the run (the timers are still armed).
   A simple worker sends the legs on its leg sender's threads after the job
   (``SAMPARK_SEND_THREADS``, passed on to it; 0: inline): the span then ends when
   the last job has ended and every leg has its CallSid stored. ``--twilio-ms``
   gives every ``CreateCall`` the real Twilio's round trip (the stand-in answers
   at once otherwise).
3. Latency from ``hand_off`` (intake complete) to the first leg reaching the
   stand-in, one consultation at a time with an idle worker: p50/p99 (< 300 ms).
4. A simulated peak hour: ``--peak-patients`` (1,000) consultations arriving over
   one hour, through the stand-in on a virtual clock; counts lost and duplicated
   legs (both must be 0) and time from call to doctor.
5. The real job mix (``--mix-patients``, 150; see ``bench/workflow_mix.py``): whole
   consultations through the stand-in, every job on one ``sampark worker`` of the
   same class; jobs per function, jobs per second of busy time (sum of ended_at -
   started_at) beside the no-op's busy and wall rates on the same worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.cpu import CpuMeter  # noqa: E402
from bench.workflow_mix import run_mix  # noqa: E402
from bench.workflow_rounds import PLACED, alternate  # noqa: E402
from bench.workflow_spokes import free_spokes  # noqa: E402
from core.runtime import Runtime, install_process_runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.timeutil import utcnow  # noqa: E402
from models import Base, Consultation, ConsultationState, Patient  # noqa: E402
from standin import StandIn, VirtualClock  # noqa: E402
from workflows import jobs as workflow_jobs  # noqa: E402
from workflows.handoff import hand_off  # noqa: E402

ACCOUNT = "AC" + "b2" * 16
TOKEN = "bench-auth-token-0123456789"
S = ConsultationState


def _database(server_url: str) -> tuple[str, Any]:
    name = f"sampark_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), admin


def _worker(env: dict[str, str], worker_class: str) -> subprocess.Popen[bytes]:
    args = [str(ROOT / ".venv/bin/sampark"), "worker", "--no-cron", "--queues", "workflow,bench"]
    args.append("--simple" if worker_class == "simple" else "--fork")
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _warm(runtime: Runtime) -> None:
    """Wait until the worker has run one job."""
    job = runtime.queue("bench").enqueue(workflow_jobs.noop)
    deadline = time.monotonic() + 60
    while job.get_status(refresh=True) != "finished":
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not start within 60 s")
        time.sleep(0.05)


def _compare(out: dict[str, Any], mix: dict[str, Any]) -> dict[str, Any]:
    """Like with like. RQ's own work per job lies mostly outside started_at..ended_at
    (dequeue, status and registry updates, result storage): with the queue filled
    beforehand it is the no-op's wall time per job minus its busy time per job. A
    saturated worker's rate for a job type is then 1 / (its busy time + that overhead);
    checked on the intake job, whose wall rate is measured too."""
    outside = out["noop"]["wall_ms_per_job"] - out["noop"]["busy_ms_per_job"]
    intake_busy = out["intake"]["busy_ms_per_job"]
    noop2 = mix["noop_same_worker"]
    outside2 = noop2["wall_ms_per_job"] - noop2["busy_ms_per_job"]
    est = 1000 / (mix["mix"]["busy_ms_per_job"] + outside2)
    mix["rq_outside_ms_per_job"] = {"phase_1": round(outside, 3), "mix_worker": round(outside2, 3)}
    mix["intake_check"] = {
        "predicted_per_s": round(1000 / (intake_busy + outside), 1),
        "measured_per_s": out["intake"]["per_s_wall"],
    }
    mix["saturated_per_s_est"] = round(est, 1)
    mix["ratio_saturated_vs_noop_wall"] = round(est / noop2["per_s_wall"], 2)
    mix["ratio_busy_vs_noop_busy"] = round(mix["mix"]["per_s_busy"] / noop2["per_s_busy"], 3)
    mix["intake_ratio_busy_vs_noop_busy"] = round(
        out["intake"]["per_s_busy"] / out["noop"]["per_s_busy"], 3
    )
    return mix


def _new_consultations(runtime: Runtime, spoke_ids: list[int]) -> list[int]:
    """One consultation, intake complete, at each spoke (``bench/workflow_spokes.py``)."""
    ids = []
    with runtime.db.session() as s:
        for spoke_id in spoke_ids:
            p = Patient(mobile=f"+9197{uuid.uuid4().int % 10**8:08d}", age_years=30, sex="female")
            c = Consultation(
                reference=f"B{uuid.uuid4().hex[:8].upper()}", caller_mobile=p.mobile,
                spoke_id=spoke_id, patient=p, complaint="fever", days=2, consent=True,
            )  # fmt: skip
            s.add(c)
            s.flush()
            c.transition(S.INTAKE_COMPLETE, "bench")
            c.intake_completed_at = utcnow()
            ids.append(c.id)
    return ids


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def run(args: argparse.Namespace) -> dict[str, Any]:

    from tests.builders import build_mini_district

    server = os.environ.get("BENCH_DATABASE_URL") or os.environ["TEST_DATABASE_URL"]
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    db_url, admin = _database(server)
    standin = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=1)
    api = standin.start()
    if args.twilio_ms:  # Twilio's round trip from India (~150-400 ms), on every CreateCall
        rule = {"endpoint": "calls.create", "delay_seconds": args.twilio_ms / 1000}
        standin.rest_faults.configure([rule])
    prefix = f"bench{uuid.uuid4().hex[:4]}"
    # No timer falls due during the run (ANM deadline = ring + grace), or its jobs would
    # join the measured queue.
    workflow_cfg = {"call_window": ["00:00", "00:00"], "anm_menu_grace_s": 3600}
    settings = Settings(
        database_url=db_url, redis_url=redis_url, twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN, twilio_api_base_url=api, public_base_url="http://127.0.0.1:9",
        secret_key="bench-secret-key-0123456789", queue_prefix=prefix,
        extra={"workflow": workflow_cfg},
    )  # fmt: skip
    runtime = Runtime.from_settings(settings)
    runtime.redis.flushdb()
    Base.metadata.create_all(runtime.db.engine)
    install_process_runtime(runtime)
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        # Each consultation rings an ANM who is free (one call per staff number).
        spokes, numbers = free_spokes(s, mini.district_id, args.jobs + args.latency_samples)
    # Planner statistics, as a district's database has them: fresh bulk-filled tables have
    # none, and the intake job's queries then get plans for empty tables (seq scans).
    with runtime.db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    for number in [*mini.spoke_numbers.values(), *numbers]:
        standin.add_number(number)
    env = {
        **os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url,
        "SAMPARK_QUEUE_PREFIX": prefix, "TWILIO_API_BASE_URL": api,
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": "http://127.0.0.1:9", "SAMPARK_WORKFLOW": json.dumps(workflow_cfg),
        "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    out: dict[str, Any] = {"worker_class": args.worker_class, "jobs": args.jobs}
    if args.worker_class == "simple":  # the worker's leg sender (SAMPARK_SEND_THREADS)
        out["send_threads"] = int(os.environ.get("SAMPARK_SEND_THREADS", "4"))
    worker: subprocess.Popen[bytes] | None = None
    try:
        # 1 and 2: throughput, no-op floor then workflow jobs, on a queue filled beforehand.
        ids = _new_consultations(runtime, spokes[: args.jobs])
        worker = _worker(env, args.worker_class)
        _warm(runtime)  # its start-up is neither timed nor counted in CPU per job
        meter = CpuMeter(worker.pid)
        out |= alternate(runtime, meter, ids, args.rounds)
        out["noop_jobs_per_s"] = out["noop"]["per_s_wall"]
        out["workflow_jobs_per_s"] = out["intake"]["per_s_wall"]
        out["workflow_vs_noop"] = round(out["workflow_jobs_per_s"] / out["noop_jobs_per_s"], 2)
        with runtime.db.session() as s:
            placed = s.scalar(PLACED)
        out["legs_placed"] = placed
        # 3: latency, one at a time, idle worker (the timers armed above are dropped first).
        from rq.registry import ScheduledJobRegistry

        scheduled = ScheduledJobRegistry(queue=runtime.queue("workflow"))
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
        time.sleep(1.0)
        latencies = []
        for cid in _new_consultations(runtime, spokes[args.jobs :]):
            before = len(standin.calls)
            time.sleep(0.02)  # the worker is idle, blocked on its queue
            t0 = time.perf_counter()
            hand_off(runtime, cid, "intake_complete")
            while len(standin.calls) == before:
                if time.perf_counter() - t0 > 30:
                    raise SystemExit(f"consultation {cid}: no call reached the stand-in in 30 s")
                time.sleep(0.0005)
            latencies.append((time.perf_counter() - t0) * 1000)
        out["handoff_to_first_leg_ms"] = {
            "p50": round(statistics.median(latencies), 1),
            "p99": round(_pct(latencies, 0.99), 1),
            "max": round(max(latencies), 1),
            "samples": len(latencies),
        }
    finally:  # the worker too when the run stops early (SystemExit), or it outlives the run
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
        install_process_runtime(None)
        standin.stop()
        runtime.close()
        with admin.connect() as conn:
            conn.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(db_url).database}" WITH (FORCE)')
            )
    # 5: the real job mix: --mix-patients whole consultations, every job on one worker.
    if args.mix_patients:
        mix_db, _ = _database(server)
        try:
            mix = run_mix(
                settings.with_overrides(redis_url=redis_url, extra={}), mix_db,
                args.mix_patients, args.worker_class, env, args.jobs,
            )  # fmt: skip
        finally:
            with admin.connect() as conn:
                conn.execute(
                    text(f'DROP DATABASE IF EXISTS "{make_url(mix_db).database}" WITH (FORCE)')
                )
        out["job_mix"] = _compare(out, mix)
    # 4: the peak hour, through the simulator (its own database on the same server).
    if args.peak_patients:
        from ops.simulate import run_simulation
        from sampark.app import create_app

        peak_db, _ = _database(server)
        try:
            summary = run_simulation(
                settings.with_overrides(redis_url=redis_url, extra={}),
                patients=args.peak_patients,
                seed=7,
                over_seconds=3600.0,
                database_url=peak_db,
                app_factory=create_app,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(
                    text(f'DROP DATABASE IF EXISTS "{make_url(peak_db).database}" WITH (FORCE)')
                )
        out["peak_hour"] = summary.as_dict()
    admin.dispose()
    return out


def _print_mix(m: dict[str, Any]) -> None:
    mix, noop = m["mix"], m["noop_same_worker"]
    sm = m["summary"]
    print(
        f"job mix: {m['patients']} consultations ({sm['completed']} completed, "
        f"{sm['unreachable']} unreachable, {sm['lost']} lost, {sm['duplicated_legs']} dup legs)"
    )
    for func, row in m["by_function"].items():
        print(f"  {func:40} {row['jobs']:6}  mean {row['mean_ms']:7} ms  max {row['max_ms']} ms")
    print(f"  failed jobs {m['failed_jobs'] or 0}, cron sweeps {m['cron_sweeps']}, "
          f"backstop sweeps {m['backstop_sweeps']}")  # fmt: skip
    print(
        f"  mix        {mix['jobs']} jobs: {mix['per_s_busy']}/s busy "
        f"({mix['busy_ms_per_job']} ms per job); {mix['per_s_wall']}/s wall (idle included)"
    )
    print(
        f"  no-op      same worker: {noop['per_s_wall']}/s wall, {noop['per_s_busy']}/s busy "
        f"({noop['wall_ms_per_job']} / {noop['busy_ms_per_job']} ms per job)"
    )
    out_ms, chk = m["rq_outside_ms_per_job"], m["intake_check"]
    print(
        f"  RQ outside started..ended {out_ms['mix_worker']} ms/job; intake check: predicted "
        f"{chk['predicted_per_s']}/s, measured {chk['measured_per_s']}/s"
    )
    print(
        f"  mix saturated (est.) {m['saturated_per_s_est']}/s = "
        f"{m['ratio_saturated_vs_noop_wall']}x no-op; busy vs busy {m['ratio_busy_vs_noop_busy']}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--peak-patients", type=int, default=1000)
    parser.add_argument("--mix-patients", type=int, default=150)
    parser.add_argument("--worker-class", choices=("simple", "fork"), default="simple")
    parser.add_argument("--twilio-ms", type=float, default=0.0, help="CreateCall round trip")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    threads = result.get("send_threads")
    sending = " (legs sent inline)"
    if threads:
        sending = f" (legs sent on {threads} threads of a child process)"
    print(f"worker class            {result['worker_class']}{sending}")
    print(f"RQ no-op jobs/s         {result['noop_jobs_per_s']}")
    ratio = result["workflow_vs_noop"]
    print(f"workflow jobs/s         {result['workflow_jobs_per_s']} ({ratio}x no-op)")
    for key, label in (("noop", "no-op"), ("intake", "intake job")):
        r = result[key]
        print(
            f"  {label:10} {r['jobs']} jobs: {r['per_s_wall']}/s wall, {r['per_s_busy']}/s busy "
            f"({r['wall_ms_per_job']} / {r['busy_ms_per_job']} ms per job)"
        )
        cpu = ", ".join(f"{k} {v}" for k, v in r["cpu_ms_per_job"].items())
        print(f"  {'':10} CPU ms per job: {cpu}")
        if "last_call_sid_after_last_job_ms" in r:
            lag = r["last_call_sid_after_last_job_ms"]
            print(f"  {'':10} last CallSid stored {lag} ms after the last job ended")
    rounds = ", ".join(
        f"{r['intake_per_s']}/{r['noop_per_s']} = {r['ratio']}" for r in result["rounds"]
    )
    print(f"  rounds (intake/no-op jobs/s, ABBA): {rounds}")
    if "job_mix" in result:
        _print_mix(result["job_mix"])
    lat = result["handoff_to_first_leg_ms"]
    print(f"hand-off -> first leg   p50 {lat['p50']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
    if "peak_hour" in result:
        print("peak hour:")
        for key, value in result["peak_hour"].items():
            print(f"  {key:22} {value}")


if __name__ == "__main__":
    main()
