"""Faults on a schedule: ``kind@seconds[+duration]``, seconds after the first patient.

- ``kill_worker``: SIGKILL one ``sampark worker``'s main process; ``restart_s`` later the
  supervisor's part: the rest of its process group is killed and a new worker started;
- ``flush_redis``: FLUSHDB on the run's Redis database (everything queued, scheduled or
  locked is gone; the run's own database index, so other users of the server are spared);
- ``cut_postgres`` / ``cut_redis``: every connection through the fault proxy dropped and
  new ones refused for ``duration`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("kill_worker", "flush_redis", "cut_postgres", "cut_redis")
#: The issue's run: one worker killed, Redis flushed, PostgreSQL down for 20 s (and a
#: shorter Redis outage).
DEFAULT_SCHEDULE = "kill_worker@40,flush_redis@70,cut_postgres@100+20,cut_redis@150+10"


@dataclass(frozen=True)
class Fault:
    kind: str
    at: float
    duration: float = 0.0

    def label(self) -> str:
        return f"{self.kind}@{self.at:g}" + (f"+{self.duration:g}" if self.duration else "")


def parse_schedule(spec: str) -> list[Fault]:
    """``"kill_worker@40,cut_postgres@100+20"`` -> faults sorted by time ("" or "none": [])."""
    out = []
    for item in (s.strip() for s in spec.split(",")):
        if not item or item == "none":
            continue
        kind, _, when = item.partition("@")
        if kind not in KINDS or not when:
            raise ValueError(f"bad fault {item!r}: use KIND@SECONDS[+DURATION], KIND in {KINDS}")
        at, _, duration = when.partition("+")
        out.append(Fault(kind, float(at), float(duration or 0)))
    return sorted(out, key=lambda f: f.at)


class FaultRunner:
    """Runs a schedule in a thread; ``events`` is what was done and when."""

    def __init__(self, schedule: list[Fault], actions: dict[str, Callable[[Fault], Any]]) -> None:
        self.schedule = schedule
        self.actions = actions
        self.events: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="faults", daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        self._stop.set()

    def _elapsed(self) -> float:
        return round(time.monotonic() - self._t0, 1)

    def _run(self) -> None:
        for fault in self.schedule:
            if self._stop.wait(max(0.0, self._t0 + fault.at - time.monotonic())):
                return
            started = self._elapsed()
            try:
                detail = self.actions[fault.kind](fault)
                error = None
            except Exception as exc:  # a fault that could not be injected is reported
                detail, error = None, repr(exc)
            self.events.append(
                {
                    "fault": fault.label(),
                    "started_s": started,
                    "ended_s": self._elapsed(),
                    "detail": detail,
                    "error": error,
                }
            )
