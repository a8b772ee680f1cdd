"""CPU accounting from ``/proc`` for the benchmarks: who spent the cores during a phase."""

from __future__ import annotations

import os
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(path: str) -> list[str] | None:
    try:
        raw = Path(path).read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _processes() -> dict[int, tuple[str, list[str]]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(f"/proc/{entry}/stat")
            if fields is not None:
                try:
                    name = Path(f"/proc/{entry}/comm").read_text().strip()
                except OSError:
                    continue
                out[int(entry)] = (name, fields)
    return out


def _seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its live descendants."""
    procs = _processes()
    family, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, (_, fields) in procs.items():
            if int(fields[1]) == current and child not in family:
                family.add(child)
                frontier.append(child)
    return sum(_seconds(procs[p][1]) for p in family if p in procs)


def named_cpu(name: str) -> float:
    """CPU seconds of every live process called ``name`` (``postgres``, ``redis-server``)."""
    return sum(_seconds(f) for n, f in _processes().values() if n == name)


def others_cpu() -> float:
    """CPU seconds of this process outside the calling thread (the stand-in's threads,
    including those that have ended); call it from the same thread each time."""
    t = os.times()
    return t.user + t.system - time.thread_time()


class CpuMeter:
    """CPU spent between ``start()`` and ``stop()`` by the worker, PostgreSQL, Redis and
    the stand-in (this process's other threads), per job."""

    def __init__(self, worker_pid: int) -> None:
        self.worker_pid = worker_pid
        self._before: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        return {
            "worker": tree_cpu(self.worker_pid),
            "postgres": named_cpu("postgres"),
            "redis": named_cpu("redis-server"),
            "standin": others_cpu(),
        }

    def start(self) -> None:
        self._before = self._read()

    def stop(self, jobs: int) -> dict[str, float]:
        """Milliseconds of CPU per job, per part."""
        after = self._read()
        return {k: round((after[k] - self._before[k]) * 1000 / jobs, 2) for k in after}
