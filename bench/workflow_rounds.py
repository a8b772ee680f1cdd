"""Phases 1 and 2 of ``workflow_bench.py``: no-op and intake jobs in alternating rounds.

On two shared cores the machine's speed drifts over seconds (RQ's no-op rate alone
has ranged 180–330 jobs/s between runs). Measuring all the no-ops and then all the
intake jobs lets that drift fall on one side of the ratio. Here the jobs are split
into rounds run in ABBA order (no-op, intake, intake, no-op, ...), each on a queue
filled beforehand, and the rates are totals over the rounds: jobs / sum of the
rounds' spans. Each round's own ratio is reported too, to show the spread.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.cpu import CpuMeter
from bench.workflow_mix import job_rates
from core.runtime import Runtime

PLACED = text("SELECT count(*) FROM call_legs WHERE call_sid IS NOT NULL")


def _enqueue_many(
    runtime: Runtime, queue: str, calls: list[tuple[str, tuple[Any, ...]]]
) -> list[Any]:
    """Enqueue jobs in one pipeline (the worker is already waiting on the queue)."""
    from rq import Queue

    q = runtime.queue(queue)
    return q.enqueue_many([Queue.prepare_data(f, args, result_ttl=600) for f, args in calls])


def throughput(
    runtime: Runtime, queue: str, jobs: list[Any], call_sids: int | None = None
) -> dict[str, Any]:
    """Jobs per second from the first job's start to the last job's end (the queue was
    filled beforehand: the worker never waited), and per second of busy time.

    With ``call_sids`` (legs expected to have a CallSid at the end), the span ends when
    the last job has ended *and* that many legs have their CallSid stored: the worker's
    leg sender sends after the job. The CallSids are counted every 5 ms from the last
    job's start (the time taken is that of the first count that has them all: up to
    ~5 ms late, never early; inline sends get the same allowance)."""
    q = runtime.queue(queue)
    deadline = time.monotonic() + 600
    sids_at = None
    while True:  # light polling: the worker needs the CPU; every 5 ms in the last 60 jobs
        jobs[-1].refresh()
        left = q.count
        done = jobs[-1].get_status() in ("finished", "failed") and left == 0
        tail = call_sids is not None and left < 60
        if call_sids is not None and left == 0 and sids_at is None:  # the last job is running
            with runtime.db.engine.connect() as conn:
                stored = conn.scalar(PLACED)
            sids_at = datetime.now(UTC) if (stored or 0) >= call_sids else None
        if done and (call_sids is None or sids_at is not None):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{q.name}: {left} jobs queued or CallSids missing after 600 s")
        time.sleep(0.005 if tail else 0.25)
    for job in jobs:
        job.refresh()
    failed = [j for j in jobs if j.get_status() == "failed"]
    if failed:
        raise SystemExit(f"{len(failed)} {q.name} jobs failed: {failed[0].exc_info}")
    records = [(j.func_name, j.started_at, j.ended_at) for j in jobs]
    rates = job_rates(records)
    if sids_at is not None:
        last_end, n = max(r[2] for r in records), len(records)
        rates["last_call_sid_after_last_job_ms"] = round(
            (sids_at - last_end).total_seconds() * 1e3, 1
        )
        if sids_at > last_end:  # the span ends at the last CallSid
            wall = (sids_at - min(r[1] for r in records)).total_seconds()
            rates |= {"wall_s": round(wall, 3), "wall_ms_per_job": round(1000 * wall / n, 3)}
            rates["per_s_wall"] = round(n / wall, 1)
    return rates


def _total(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one kind as one: rates over the summed spans, CPU per job averaged."""
    n = sum(p["jobs"] for p in parts)
    wall, busy = sum(p["wall_s"] for p in parts), sum(p["busy_s"] for p in parts)
    cpu = {k: round(sum(p["cpu_ms_per_job"][k] * p["jobs"] for p in parts) / n, 2)
           for k in parts[0]["cpu_ms_per_job"]}  # fmt: skip
    out = {
        "jobs": n, "wall_s": round(wall, 3), "busy_s": round(busy, 3),
        "wall_ms_per_job": round(1000 * wall / n, 3), "busy_ms_per_job": round(1000 * busy / n, 3),
        "per_s_wall": round(n / wall, 1), "per_s_busy": round(n / busy, 1), "cpu_ms_per_job": cpu,
    }  # fmt: skip
    lag = [
        p["last_call_sid_after_last_job_ms"]
        for p in parts
        if "last_call_sid_after_last_job_ms" in p
    ]
    if lag:
        out["last_call_sid_after_last_job_ms"] = max(lag)
    return out


def alternate(
    runtime: Runtime, meter: CpuMeter, consultation_ids: list[int], rounds: int
) -> dict[str, Any]:
    """No-op and intake jobs, ``len(consultation_ids)`` of each, in ``rounds`` ABBA rounds."""
    per_round = max(1, len(consultation_ids) // rounds)
    chunks = [consultation_ids[i * per_round : (i + 1) * per_round] for i in range(rounds)]
    chunks[-1] += consultation_ids[rounds * per_round :]
    runs: dict[str, list[dict[str, Any]]] = {"noop": [], "intake": []}
    placed = 0
    for i, ids in enumerate(chunks):
        order = ("noop", "intake") if i % 2 == 0 else ("intake", "noop")
        for kind in order:
            meter.start()
            if kind == "noop":
                jobs = _enqueue_many(runtime, "bench", [("workflows.jobs.noop", ())] * len(ids))
                rates = throughput(runtime, "bench", jobs)
            else:
                calls = [("workflows.jobs.advance", (cid, "intake_complete")) for cid in ids]
                jobs = _enqueue_many(runtime, "workflow", calls)
                placed += len(jobs)
                rates = throughput(runtime, "workflow", jobs, call_sids=placed)
            rates["cpu_ms_per_job"] = meter.stop(len(jobs))
            runs[kind].append(rates)
    out = {kind: _total(parts) for kind, parts in runs.items()}
    out["rounds"] = [
        {"noop_per_s": a["per_s_wall"], "intake_per_s": b["per_s_wall"],
         "ratio": round(b["per_s_wall"] / a["per_s_wall"], 2),
         "cpu_ms_per_job": {"noop": a["cpu_ms_per_job"], "intake": b["cpu_ms_per_job"]}}
        for a, b in zip(runs["noop"], runs["intake"], strict=True)
    ]  # fmt: skip
    return out
