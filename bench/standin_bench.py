"""How many concurrent calls and webhooks per second the Twilio stand-in sustains here.

Three processes share the machine (2 cores): the stand-in (``sampark standin``, real clock),
a tiny TwiML app (gunicorn, one gthread worker) and this driver. Figures that matter are
CPU per request of each process (utime+stime of its process tree from /proc, before and
after a phase, divided by the requests it served), measured in the same run, and whether the
webhook rate keeps up with what the calls ask for (see ../shared/context/benchmarking.md).

Phases:
1. validation: Twilio's OpenAPI check of one CreateCall, compiled validator vs openapi-core;
2. create: N calls through twilio-python (only its base URL changed), 8 client threads;
3. hold: every call loops ``<Gather timeout=P/>`` -> ``<Redirect>`` (one TwiML webhook per
   P seconds per call, no input: the Gather falls through) for H seconds;
4. hang-up: every call ended through the REST API (Status=completed).

Usage: ``python bench/standin_bench.py [--calls 300] [--period 2] [--hold 30]
[--app-delay-ms 0]``. Loopback only; it stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import tree_cpu  # noqa: E402

ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-token"
OUR_NUMBER = "+916456222333"

# --------------------------------------------------------------------------- the tiny app
_COUNTS = {"twiml": 0, "status": 0}
_LOCK = threading.Lock()


def tiny_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """TwiML for /voice and /loop (a Gather that times out, then a Redirect); 204 otherwise."""
    path = environ.get("PATH_INFO", "")
    if path == "/count":
        with _LOCK:
            body = json.dumps(_COUNTS).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    delay = float(os.environ.get("APP_DELAY_MS", "0")) / 1000
    if delay:
        time.sleep(delay)
    kind = "twiml" if path in ("/voice", "/loop") else "status"
    with _LOCK:
        _COUNTS[kind] += 1
    if kind == "status":
        start_response("204 No Content", [])
        return [b""]
    period = os.environ.get("LOOP_PERIOD", "2")
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" '
        f'timeout="{period}" action="/loop"/><Redirect>/loop</Redirect></Response>'
    ).encode()
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
    return [xml]


# --------------------------------------------------------------------------- measuring
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --------------------------------------------------------------------------- phases
def validation_cost() -> tuple[float, float]:
    """Milliseconds to validate one CreateCall: compiled validator, openapi-core."""
    from werkzeug.datastructures import MultiDict
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from standin.openapi import compiled, openapi_core_validator

    path = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    form = {
        "To": ["+919990000001"],
        "From": [OUR_NUMBER],
        "Url": ["http://127.0.0.1:1/voice"],
        "StatusCallback": ["http://127.0.0.1:1/status"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "Timeout": ["30"],
    }
    spec = compiled()
    op, params, _ = spec.match("POST", path)
    assert op is not None
    n = 2000
    t0 = time.process_time()
    for _ in range(n):
        spec.validate(op, params, {}, form, path)
    fast = (time.process_time() - t0) / n * 1000
    core = openapi_core_validator()
    items = [(k, v) for k, vs in form.items() for v in vs]
    request = Request(
        EnvironBuilder(
            method="POST",
            path=path,
            data=MultiDict(items),
            headers={"Authorization": "Basic x"},
            content_type="application/x-www-form-urlencoded",
        ).get_environ()
    )
    request.get_data()
    core.problems(request, op.operation_id)  # warm up
    m = 100
    t0 = time.process_time()
    for _ in range(m):
        assert not core.problems(request, op.operation_id)
    slow = (time.process_time() - t0) / m * 1000
    return fast, slow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--period", type=float, default=2.0, help="seconds per TwiML loop")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds all calls stay up")
    parser.add_argument("--app-delay-ms", type=float, default=0.0, help="app latency per webhook")
    parser.add_argument(
        "--virtual", action="store_true", help="virtual clock: run the hold as fast as possible"
    )
    args = parser.parse_args()

    import requests
    from twilio.rest import Client

    fast_ms, core_ms = validation_cost()
    print(f"validation of one CreateCall: compiled {fast_ms:.3f} ms CPU, "
          f"openapi-core {core_ms:.2f} ms CPU ({core_ms / fast_ms:.0f}x)")  # fmt: skip

    app_port, si_port = free_port(), free_port()
    app_url, si_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{si_port}"
    env = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "APP_DELAY_MS": str(args.app_delay_ms),
        "LOOP_PERIOD": f"{args.period:g}",
        "PYTHONPATH": str(ROOT),
    }
    app = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "32", "-w", "1",
         "-b", f"127.0.0.1:{app_port}", "--chdir", str(ROOT / "bench"), "--log-level",
         "warning", "standin_bench:tiny_app"],
        env=env,
    )  # fmt: skip
    standin = subprocess.Popen(
        [sys.executable, "-c", "from sampark.cli import main; main()", "standin",
         "--port", str(si_port), "--seed", "1", "--number", OUR_NUMBER,
         *(["--virtual"] if args.virtual else [])],
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(f"{app_url}/count", app)
        wait_http(f"{si_url}/_standin/clock", standin)
        run(args, app, standin, app_url, si_url, requests, Client)
    finally:
        for proc in (standin, app):
            proc.send_signal(signal.SIGTERM)
        for proc in (standin, app):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(args: Any, app: Any, standin: Any, app_url: str, si_url: str, requests: Any, Client: Any):
    n = args.calls
    local = threading.local()

    def client() -> Any:
        if not hasattr(local, "client"):
            local.client = Client(ACCOUNT, TOKEN)
            local.client.api.base_url = si_url
        return local.client

    def create(i: int) -> tuple[str, float]:
        t0 = time.perf_counter()
        call = client().calls.create(
            to=f"+9199{i:08d}",
            from_=OUR_NUMBER,
            url=f"{app_url}/voice",
            status_callback=f"{app_url}/status",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        return call.sid, (time.perf_counter() - t0) * 1000

    def counts() -> dict[str, int]:
        return dict(requests.get(f"{app_url}/count", timeout=10).json())

    def live() -> int:
        calls = requests.get(f"{si_url}/_standin/calls", timeout=30).json()
        return sum(1 for c in calls if c["status"] == "in-progress")

    cpu_si, cpu_app = tree_cpu(standin.pid), tree_cpu(app.pid)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(create, range(n)))
    create_wall = time.perf_counter() - t0
    si_create_cpu = tree_cpu(standin.pid) - cpu_si
    latencies = [ms for _, ms in created]
    print(f"create {n} calls: {n / create_wall:.0f} calls/s through twilio-python "
          f"(8 threads), p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {pct(latencies, 0.99):.1f} ms; stand-in CPU {si_create_cpu / n * 1000:.2f} ms "
          "per create (REST + validation + scheduling)")  # fmt: skip

    def advance(seconds: float) -> None:
        requests.post(f"{si_url}/_standin/clock/advance", json={"seconds": seconds}, timeout=900)

    deadline = time.monotonic() + 60
    while (up := live()) < n and time.monotonic() < deadline:
        advance(1) if args.virtual else time.sleep(1)
    print(f"in progress together: {up} of {n} calls, "
          f"{time.perf_counter() - t0:.1f} s after the first create")  # fmt: skip

    before, cpu_si, cpu_app = counts(), tree_cpu(standin.pid), tree_cpu(app.pid)
    t1 = time.perf_counter()
    advance(args.hold) if args.virtual else time.sleep(args.hold)
    after, si_cpu, app_cpu = counts(), tree_cpu(standin.pid), tree_cpu(app.pid)
    window = time.perf_counter() - t1
    still_up = live()
    hooks = (after["twiml"] - before["twiml"]) + (after["status"] - before["status"])
    asked = n / args.period * args.hold
    if args.virtual:
        print(f"virtual clock: {args.hold:.0f} s of {n} calls ran in {window:.1f} s of wall "
              f"time ({args.hold / window:.1f}x real time)")  # fmt: skip
    si_ms = (si_cpu - cpu_si) / max(hooks, 1) * 1000
    app_ms = (app_cpu - cpu_app) / max(hooks, 1) * 1000
    print(f"hold {window:.0f} s with {still_up} calls in progress: {hooks / window:.0f} "
          f"webhooks/s delivered, {asked / window:.0f}/s asked by the TwiML "
          f"({hooks / max(asked, 1):.0%} kept up)")  # fmt: skip
    print(f"CPU per webhook: stand-in {si_ms:.2f} ms, tiny app {app_ms:.2f} ms "
          f"(ratio {si_ms / max(app_ms, 1e-9):.1f}); stand-in CPU use "
          f"{(si_cpu - cpu_si) / window:.0%} of one core; "
          f"RSS stand-in {rss_mb(standin.pid):.0f} MB")  # fmt: skip
    print(f"=> one core of stand-in would deliver about {1000 / si_ms:.0f} webhooks/s "
          f"(CPU-bound estimate)")  # fmt: skip

    t2 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda s: client().calls(s[0]).update(status="completed"), created))
    print(f"hang up {n} calls through REST: {n / (time.perf_counter() - t2):.0f} calls/s")
    advance(5) if args.virtual else time.sleep(2)
    print(f"in progress after hang-up: {live()}")


if __name__ == "__main__":
    main()
