"""Benchmark: IVR intake steps vs a bare Flask endpoint, same gunicorn server, same run.

What it does (see bench/ivr/NOTES.md for the method and the figures):

1. creates a throw-away PostgreSQL database (on ``BENCH_DATABASE_URL`` or
   ``TEST_DATABASE_URL``'s server), the schema, a small district, and N live calls,
   each driven in-process to the consent question;
2. writes pre-signed webhook requests (X-Twilio-Signature depends on the body, so
   they are computed here) for wrk: each call alternates "9 at consent" (change
   language) and "1 at the language menu" - two real intake steps that each read
   the session and write answers/consultation/session, looping forever;
3. serves ``bench.ivr.wsgi:app`` with gunicorn and drives ``/ivr/step`` and the bare
   ``/bench/bare`` endpoint with wrk, interleaved, (a) flat out with 100 connections
   and (b) as 100 concurrent calls with a think time between keys;
4. reports requests/s, p50/p90/p99 latency and server CPU per request (gunicorn's
   process tree, plus the PostgreSQL backends serving the benchmark database).

Each thread's request list cycles through more calls than it has connections, so a
call's next step is only sent after its previous one was answered (ordering holds).

Run: ``.venv/bin/python bench/ivr_bench.py [--duration 10] [--calls-per-thread 200]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-auth-token-0123456789"
ACCOUNT = "AC" + "b0" * 16
CLK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def twilio_form(call_sid: str, caller: str, dialled: str, **extra: str) -> dict[str, str]:
    """The parameters Twilio posts to a Gather action (a realistic body size)."""
    form = {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Called": dialled,
        "CalledCountry": "IN",
        "Caller": caller,
        "CallerCountry": "IN",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "IN",
        "To": dialled,
        "ToCountry": "IN",
        "FinishedOnKey": "",
    }
    form.update(extra)
    return form


def signed_line(base: str, path: str, form: dict[str, str]) -> str:
    signature = RequestValidator(TOKEN).compute_signature(base + path, form)
    return f"{path}\t{urlencode(form)}\t{signature}\n"


# -- setup ----------------------------------------------------------------------------------
def create_database(server_url: str) -> str:
    name = f"sampark_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(settings: Any, calls: int) -> tuple[str, list[tuple[str, str]]]:
    """Schema, district, and ``calls`` live calls at the consent question."""
    import models
    from core.runtime import Runtime
    from ivr import calls as handlers
    from ivr.after_commit import settle
    from tests.builders import build_mini_district

    runtime = Runtime.from_settings(settings)
    models.Base.metadata.create_all(runtime.db.engine)
    with runtime.db.session() as s:
        mini = build_mini_district(s)
    dialled = mini.spoke_numbers["HWC-001"]
    live: list[tuple[str, str]] = []
    for n in range(calls):
        sid, caller = f"CA{uuid.uuid4().hex}", f"+9194{n:08d}"
        handlers.incoming(runtime, twilio_form(sid, caller, dialled), {})
        handlers.step(runtime, twilio_form(sid, caller, dialled, Digits="1"), {"n": "language"})
        live.append((sid, caller))
    settle()
    runtime.close()
    return dialled, live


def write_requests(
    directory: Path, base: str, dialled: str, live: list[tuple[str, str]], threads: int
) -> None:
    for t in range(threads):
        mine = live[t::threads]
        with (directory / f"ivr-{t}.txt").open("w") as fh:
            for sid, caller in mine:  # every call: 9 at consent (back to the language menu)
                form = twilio_form(sid, caller, dialled, Digits="9")
                fh.write(signed_line(base, "/ivr/step?n=consent&l=hi", form))
            for sid, caller in mine:  # then 1 at the language menu (back to consent)
                form = twilio_form(sid, caller, dialled, Digits="1")
                fh.write(signed_line(base, "/ivr/step?n=language&l=hi", form))
        with (directory / f"bare-{t}.txt").open("w") as fh:
            sid, caller = mine[0]
            form = twilio_form(sid, caller, dialled, Digits="1")
            fh.write(signed_line(base, "/bench/bare", form))


# -- measuring ------------------------------------------------------------------------------
def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (FileNotFoundError, IndexError):
            continue
    return total / CLK


def gunicorn_pids(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return [master, *children]


def postgres_backends(url: str) -> list[int]:
    engine = create_engine(url)
    name = make_url(url).database
    with engine.connect() as conn:
        pids = [
            int(p)
            for p in conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": name},
            ).scalars()
        ]
    engine.dispose()
    return pids


def run_wrk(
    url: str, directory: Path, prefix: str, *, threads: int, connections: int, seconds: int,
    think_ms: int,
) -> dict[str, Any]:  # fmt: skip
    script = ROOT / "bench" / "ivr" / "steps.lua"
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
           "-s", str(script), url, "--", str(directory), prefix, str(think_ms)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"WRKJSON (\{.*\})", out)
    assert match, out
    return dict(json.loads(match.group(1)))


def run_callers(
    url: str, directory: Path, prefix: str, callers: int, think_ms: int, seconds: int
) -> dict[str, Any]:
    """``callers`` concurrent calls, each pausing 0.5-1.5 x ``think_ms`` between keys."""
    host, port = url.removeprefix("http://").split(":")
    cmd = [sys.executable, str(ROOT / "bench" / "ivr" / "callers.py"), host, port,
           str(directory), prefix, str(callers), str(think_ms), str(seconds)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"CALLERSJSON (\{.*\})", out)
    assert match, out
    return dict(json.loads(match.group(1)))


def reset_calls(db_url: str) -> None:
    """Every benchmark call back at the consent question, so each run starts in order."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ivr_sessions "
                "SET node = 'consent', status = 'active', retries = 0, errors = 0"
            )
        )
    engine.dispose()


def measure(
    base: str, directory: Path, prefix: str, master: int, db_url: str, **wrk: Any
) -> dict[str, Any]:
    reset_calls(db_url)
    server = gunicorn_pids(master)
    backends = postgres_backends(db_url)
    app_before, db_before = cpu_seconds(server), cpu_seconds(backends)
    if wrk["think_ms"]:
        result = run_callers(base, directory, prefix, wrk["connections"], wrk["think_ms"],
                             wrk["seconds"])  # fmt: skip
    else:
        result = run_wrk(base, directory, prefix, **wrk)
    app_after, db_after = cpu_seconds(server), cpu_seconds(backends)
    n = max(result["requests"], 1)
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["app_cpu_ms_per_req"] = round((app_after - app_before) * 1000 / n, 3)
    result["db_cpu_ms_per_req"] = round((db_after - db_before) * 1000 / n, 3)
    result["p50_ms"] = round(result["p50_us"] / 1000, 2)
    result["p90_ms"] = round(result["p90_us"] / 1000, 2)
    result["p99_ms"] = round(result["p99_us"] / 1000, 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--calls-per-thread", type=int, default=200)
    parser.add_argument("--think-ms", type=int, default=1000, help="pause between a call's keys")
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's (2 per core)")
    parser.add_argument("--worker-class", help="default: gunicorn.conf.py's (sync)")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--fast-commit", default="sync", choices=["sync", "async"])
    parser.add_argument("--rounds", type=int, default=2, help="interleaved bare/ivr rounds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "ivr" / "results.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    from core.settings import Settings

    db_url = create_database(server_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="ivr-bench-"))
    settings = Settings(
        database_url=db_url, redis_url=os.environ.get("BENCH_REDIS_URL") or None,
        twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN,
        twilio_api_base_url="http://127.0.0.1:9", public_base_url=base,
        secret_key="bench-secret-key-0123456789", instance_path=work,
    )  # fmt: skip
    proc = None
    try:
        calls = args.threads * args.calls_per_thread
        assert args.calls_per_thread > args.connections // args.threads, "ordering needs more calls"
        dialled, live = seed(settings, calls)
        write_requests(work, base, dialled, live, args.threads)
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": base,
            "SAMPARK_INSTANCE_PATH": str(work),
            "PYTHONPATH": str(ROOT),
            "IVR_FAST_COMMIT": args.fast_commit,
        }
        if settings.redis_url:
            env["REDIS_URL"] = settings.redis_url
        log = (work / "gunicorn.log").open("w")
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
             *server_overrides(args), "-b", f"127.0.0.1:{port}", "bench.ivr.wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code in (200, 503):
                    break
            except requests.RequestException:
                time.sleep(0.2)
        wrk = {"threads": args.threads, "connections": args.connections}
        for prefix in ("bare", "ivr"):  # warm-up: pools, imports, caches
            run_wrk(base, work, prefix, seconds=2, think_ms=0, **wrk)
        results: dict[str, list[dict[str, Any]]] = {}
        for mode, think in (("flat_out", 0), (f"calls_think_{args.think_ms}ms", args.think_ms)):
            for _ in range(args.rounds):
                for prefix in ("bare", "ivr"):
                    r = measure(base, work, prefix, proc.pid, db_url,
                                seconds=args.duration, think_ms=think, **wrk)  # fmt: skip
                    results.setdefault(f"{mode}:{prefix}", []).append(r)
                    print(f"{mode:<22} {prefix:<5} {r['rps']:>8} req/s  p50 {r['p50_ms']:>7} ms  "
                          f"p99 {r['p99_ms']:>7} ms  app CPU {r['app_cpu_ms_per_req']} ms/req  "
                          f"db CPU {r['db_cpu_ms_per_req']} ms/req  non-2xx {r['non2xx']}",
                          flush=True)  # fmt: skip
        stale = (work / "gunicorn.log").read_text().count("stale IVR step")
        summary = summarise(results, stale)
        print(json.dumps(summary, indent=2))
        Path(args.out).write_text(json.dumps({"summary": summary, "runs": results}, indent=2))
        return 0
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        drop_database(server_url, db_url)
        shutil.rmtree(work, ignore_errors=True)


def server_overrides(args: argparse.Namespace) -> list[str]:
    """gunicorn options that replace the deployed configuration's, for comparisons."""
    out = ["-w", str(args.workers)] if args.workers else []
    if args.worker_class:
        out += ["-k", args.worker_class]  # (gunicorn turns "sync" with threads > 1 into gthread)
        out += ["--threads", str(args.worker_threads if args.worker_class == "gthread" else 1)]
    return out


def summarise(results: dict[str, list[dict[str, Any]]], stale: int) -> dict[str, Any]:
    def best(key: str, field: str) -> float:
        return max(r[field] for r in results[key])

    def mean(key: str, field: str) -> float:
        rows = results[key]
        return round(sum(r[field] for r in rows) / len(rows), 3)

    out: dict[str, Any] = {"stale_steps": stale}
    modes = sorted({k.split(":")[0] for k in results})
    for mode in modes:
        bare, ivr = f"{mode}:bare", f"{mode}:ivr"
        out[mode] = {
            "bare_rps": mean(bare, "rps"),
            "ivr_rps": mean(ivr, "rps"),
            "ivr_over_bare_rps": round(mean(ivr, "rps") / mean(bare, "rps"), 2),
            "bare_p99_ms": mean(bare, "p99_ms"),
            "ivr_p99_ms": mean(ivr, "p99_ms"),
            "ivr_p99_ms_worst": best(ivr, "p99_ms"),
            "bare_app_cpu_ms": mean(bare, "app_cpu_ms_per_req"),
            "ivr_app_cpu_ms": mean(ivr, "app_cpu_ms_per_req"),
            "ivr_db_cpu_ms": mean(ivr, "db_cpu_ms_per_req"),
            "ivr_non2xx": sum(r["non2xx"] for r in results[ivr]),
        }
    return out


if __name__ == "__main__":
    sys.exit(main())
