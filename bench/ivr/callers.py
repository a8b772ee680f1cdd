"""N concurrent callers, each pressing keys on its own call with a random pause between.

wrk measures latency wrongly once its ``delay()`` hook is used with connections that
close or with pauses that vary (a share of requests are charged with the pause
itself: p99 near the think time even on a fixed endpoint), and a fixed pause keeps
every caller in lock-step for the whole run, which no real set of callers does. So
this small asyncio client plays the callers instead. At ~100 requests/s it needs a
few per cent of a core, so it does not crowd the server.

Each caller owns one call and alternates its two pre-signed steps (from the files
``ivr_bench.write_requests`` writes), waiting for each answer, then pausing a time
drawn uniformly from 0.5-1.5 x ``think_ms``, on one keep-alive connection (reopened
if the server closes it; the reconnect counts in the latency, as it would for
Twilio). Latency is from the first byte sent to the last byte of the answer.

Usage: ``python bench/ivr/callers.py HOST PORT DIR PREFIX CALLERS THINK_MS SECONDS``;
prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path


def load_calls(directory: Path, prefix: str, host: str) -> list[list[bytes]]:
    """Each call's requests in order, from the per-thread files (path, body, signature)."""
    calls: list[list[bytes]] = []
    for path in sorted(directory.glob(f"{prefix}-*.txt")):
        lines = path.read_text().splitlines()
        half = len(lines) // 2 if len(lines) > 1 else 1
        for j in range(half):
            steps = [lines[j]] + ([lines[half + j]] if len(lines) > 1 else [])
            calls.append([_request(line, host) for line in steps])
    return calls


def _request(line: str, host: str) -> bytes:
    target, body, signature = line.split("\t")
    return (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed before answering")
    status = int(status_line.split()[1])
    length, keep = 0, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            keep = False
    await reader.readexactly(length)
    return status, keep


async def caller(
    host: str, port: int, steps: list[bytes], think_s: float, until: float,
    latencies: list[float], errors: list[int], rng: random.Random,
) -> None:  # fmt: skip
    await asyncio.sleep(rng.uniform(0, think_s))  # callers do not start together
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    n = 0
    while time.monotonic() < until:
        request = steps[n % len(steps)]
        start = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection(host, port)
            status, keep = await _exchange(*conn, request)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            errors[0] += 1
            conn = None
            continue
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors[1] += 1
        if not keep:
            conn[1].close()
            conn = None
        n += 1
        await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))
    if conn is not None:
        conn[1].close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else 0.0


async def run(
    host: str, port: int, calls: list[list[bytes]], callers: int, think_ms: int, seconds: float
) -> dict[str, float | int]:
    latencies: list[float] = []
    errors = [0, 0]  # socket errors, non-2xx
    start = time.monotonic()
    until = start + seconds
    rng = random.Random(7)
    await asyncio.gather(
        *(
            caller(
                host, port, calls[i % len(calls)], think_ms / 1000, until, latencies, errors, rng
            )
            for i in range(callers)
        )
    )
    elapsed = time.monotonic() - start
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "p50_us": int(percentile(latencies, 0.50) * 1e6),
        "p90_us": int(percentile(latencies, 0.90) * 1e6),
        "p99_us": int(percentile(latencies, 0.99) * 1e6),
        "max_us": int(max(latencies, default=0) * 1e6),
        "non2xx": errors[1],
        "socket_errors": errors[0],
    }


def main() -> None:
    host, port, directory, prefix, n, think, seconds = sys.argv[1:8]
    calls = load_calls(Path(directory), prefix, f"{host}:{port}")
    result = asyncio.run(run(host, int(port), calls, int(n), int(think), float(seconds)))
    print("CALLERSJSON " + json.dumps(result))


if __name__ == "__main__":
    main()
