"""Replaying the durable fallback (see ``core.fallback``), one pass at a time.

``replay(runtime)`` takes a per-instance lock (one replay at a time), claims every
pending file by renaming it (and any file a killed replay had claimed), and replays
their records in order of arrival through the handlers each area registers. A
record that fails is written back with ``tries + 1`` for a later pass; at
``MAX_TRIES`` it is quarantined and logged at ERROR, once. When a failure is an
outage (the database or Redis unreachable) the pass stops there: the records after
it are written back untouched, in order, instead of each spending a try.

Each area declares its handlers as a ``core.fallback.Area`` (``ivr.recovery``,
``workflows.webhook_events``); ``AREAS`` below names them: operations stand above
the areas they replay.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.fallback import (
    MAX_TRIES,
    Area,
    Handler,
    Record,
    fallback_dir,
    quarantine,
    read_lines,
    write_pending,
)
from core.runtime import Runtime
from ivr.recovery import FALLBACK as IVR_FALLBACK
from workflows.webhook_events import FALLBACK as WORKFLOW_FALLBACK

log = logging.getLogger(__name__)

#: Area name -> how that area's records are replayed.
AREAS: dict[str, Area] = {"ivr": IVR_FALLBACK, "workflows": WORKFLOW_FALLBACK}


@dataclass
class ReplayReport:
    """What one pass did."""

    files: int = 0
    replayed: int = 0
    failed: int = 0
    quarantined: int = 0
    deferred: int = 0
    calls: set[str] = field(default_factory=set)


class UnknownRecord(Exception):
    """No area or handler replays this record (it goes straight to quarantine)."""


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database or Redis is unreachable (not the record's fault)."""
    import redis.exceptions
    import sqlalchemy.exc

    outage = (
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlalchemy.exc.DisconnectionError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    )
    seen: BaseException | None = exc
    for _ in range(5):  # the exception or what it was raised from
        if seen is None:
            return False
        if isinstance(seen, outage):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def area(name: str) -> Area:
    """The ``Area`` called ``name``."""
    found = AREAS.get(name)
    if found is None:
        raise UnknownRecord(f"no fallback area {name!r}")
    return found


def replay(runtime: Runtime) -> ReplayReport:
    """Replay every pending record once, in order of arrival; safe to run again."""
    report = ReplayReport()
    directory = fallback_dir(runtime.settings)
    if not directory.is_dir():
        return report
    with _exclusive(directory) as held:
        if not held:  # another process is replaying: its pass covers these records
            return report
        claimed = _claim(directory)
        report.files = len(claimed)
        if claimed and _replay_records(runtime, _in_order(claimed), report):
            for path in claimed:
                path.rename(path.with_name(path.name.split(".replaying-")[0] + ".done"))
        # else a record could not be written back: the claimed files stay for the next pass
    return report


@contextmanager
def _exclusive(directory: Path) -> Iterator[bool]:
    fd = os.open(directory / ".replay.lock", os.O_WRONLY | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def _claim(directory: Path) -> list[Path]:
    """Rename each pending file to a claimed name; files a killed pass claimed come too."""
    claimed = sorted(directory.glob("*.jsonl.replaying-*"))  # we hold the lock: orphans
    for path in sorted(directory.glob("*.jsonl")):
        target = path.with_name(path.name + f".replaying-{os.getpid()}")
        try:
            path.rename(target)
        except FileNotFoundError:
            continue
        claimed.append(target)
    return claimed


def _in_order(paths: list[Path]) -> list[Record]:
    """Every claimed record once (by id, the most tried copy), by time of arrival."""
    by_id: dict[str, Record] = {}
    for path in paths:
        for record in read_lines(path):
            known = by_id.get(record["id"])
            if known is None or int(record.get("tries") or 0) > int(known.get("tries") or 0):
                by_id[record["id"]] = record
    return sorted(by_id.values(), key=lambda r: str(r.get("at", "")))


def _replay_records(runtime: Runtime, records: list[Record], report: ReplayReport) -> bool:
    """Replay ``records``; False if one that is still owed could not be written back."""
    done: dict[str, list[Record]] = {}
    kept = True
    stopped = False
    for record in records:
        if stopped:
            report.deferred += 1
            kept &= write_pending(runtime.settings, record)
            continue
        try:
            handler = _handler(record)
            handler(runtime, record)
        except UnknownRecord as exc:
            report.failed += 1
            kept &= _give_up(runtime, record, repr(exc), report)
            continue
        except Exception as exc:
            report.failed += 1
            stopped = is_outage(exc)
            kept &= _failed(runtime, record, exc, report)
            continue
        report.replayed += 1
        done.setdefault(str(record["area"]), []).append(record)
    for name, replayed in done.items():
        settle = area(name).settle
        if settle is None:
            continue
        try:
            report.calls |= settle(runtime, replayed)
        except Exception:
            log.exception("could not settle replayed fallback records", extra={"area": name})
    return kept


def _handler(record: Record) -> Handler:
    handlers = area(str(record.get("area"))).handlers
    handler = handlers.get(str(record.get("kind")))
    if handler is None:
        raise UnknownRecord(f"no handler for {record.get('area')}.{record.get('kind')}")
    return handler


def _failed(runtime: Runtime, record: Record, exc: Exception, report: ReplayReport) -> bool:
    tries = int(record.get("tries") or 0) + 1
    record = {**record, "tries": tries, "error": repr(exc)[:300]}
    if tries >= MAX_TRIES:
        return _give_up(runtime, record, record["error"], report)
    log.warning(
        "fallback record failed again; kept for the next pass",
        extra={"event": "fallback-retry-later", "id": record["id"], "tries": tries},
        exc_info=exc,
    )
    return write_pending(runtime.settings, record)


def _give_up(runtime: Runtime, record: Record, error: str, report: ReplayReport) -> bool:
    record = {**record, "error": error[:300]}
    if not quarantine(runtime.settings, record):
        return write_pending(runtime.settings, record)  # keep it pending rather than lose it
    report.quarantined += 1
    log.error(
        "fallback record quarantined: `sampark fallback list` shows it",
        extra={
            "event": "fallback-quarantined",
            "id": record["id"],
            "area": record.get("area"),
            "kind": record.get("kind"),
            "tries": record.get("tries"),
            "error": error[:300],
        },
    )
    return True
