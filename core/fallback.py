"""The durable fallback: what a failed webhook carried, kept on disk until it is replayed.

A webhook that fails (database or Redis down, a bug) still answers Twilio, and
appends what it received to a JSON-lines file under ``<instance>/fallback/``,
flushed and fsync'd before the answer goes out: one file per area, day and process
(``<area>-YYYYMMDD-<pid>.jsonl``). Each record has a stable ``id``, its ``area``
(``ivr``, ``workflows``) and ``kind``, the time it arrived (``at``), the request's
``form`` and ``args``, the route's ids (``route``) and how many replays have
failed (``tries``).

``ops.fallback_replay.replay`` re-drives pending records in order of arrival.
A record that keeps failing is moved to ``quarantine/<id>.json`` after
``MAX_TRIES`` tries and is never retried automatically; the operator sees it
with ``sampark fallback list`` and retries or drops it (``retry``, ``drop``).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import Settings

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

#: Replays a record may fail before it is quarantined.
MAX_TRIES = 5
QUARANTINE = "quarantine"

Record = dict[str, Any]


def fallback_dir(settings: Settings) -> Path:
    """Where pending records are kept (``<instance>/fallback``)."""
    return Path(settings.instance_path) / "fallback"


def quarantine_dir(settings: Settings) -> Path:
    """Where records that failed ``MAX_TRIES`` replays wait for the operator."""
    return fallback_dir(settings) / QUARANTINE


def new_record(
    area: str,
    kind: str,
    form: Mapping[str, Any],
    args: Mapping[str, Any],
    *,
    route: Mapping[str, Any] | None = None,
    error: str = "",
) -> Record:
    """A fresh record (not yet written) with its own id and no failed tries."""
    return {
        "id": uuid.uuid4().hex,
        "area": area,
        "kind": kind,
        "at": datetime.now(UTC).isoformat(),
        "form": dict(form),
        "args": dict(args),
        "route": dict(route or {}),
        "error": error[:300],
        "tries": 0,
    }


def append_record(
    settings: Settings,
    area: str,
    kind: str,
    form: Mapping[str, Any],
    args: Mapping[str, Any],
    *,
    route: Mapping[str, Any] | None = None,
    error: str = "",
) -> bool:
    """Keep one failed webhook's parameters for replay, durably.

    Returns:
        False when even the disk failed (the log line is then all that is left).
    """
    return write_pending(settings, new_record(area, kind, form, args, route=route, error=error))


def write_pending(settings: Settings, record: Record) -> bool:
    """Append ``record`` to this process's pending file for its area (fsync'd).

    The file is opened for append per record, so a sweeper claiming it by rename
    never races a long-lived handle.
    """
    now = datetime.now(UTC)
    try:
        directory = fallback_dir(settings)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{record['area']}-{now:%Y%m%d}-{os.getpid()}.jsonl"
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return True
    except Exception:
        log.exception("could not write the fallback record", extra={"record": record})
        return False


def read_lines(path: Path) -> list[Record]:
    """The records of one JSON-lines file (a torn last line from a crash is skipped).

    A record written before records had ids and areas gets an id and the area its
    file is named after.
    """
    records: list[Record] = []
    area = path.name.split("-", 1)[0]
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                log.error(
                    "unreadable fallback line skipped", extra={"file": str(path), "line": number}
                )
                continue
            record.setdefault("id", uuid.uuid4().hex)
            record.setdefault("area", area)
            record.setdefault("tries", 0)
            records.append(record)
    return records


def pending_files(settings: Settings) -> list[Path]:
    """Pending files not claimed by a replay, oldest name first."""
    directory = fallback_dir(settings)
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


def pending(settings: Settings) -> list[Record]:
    """Every record waiting for a replay (in the files a replay has not claimed)."""
    return [r for path in pending_files(settings) for r in read_lines(path)]


def quarantine(settings: Settings, record: Record) -> bool:
    """Move ``record`` out of the replay into ``quarantine/<id>.json`` (durably)."""
    record = {**record, "quarantined_at": datetime.now(UTC).isoformat()}
    try:
        directory = quarantine_dir(settings)
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / f"{record['id']}.json"
        temporary = directory / f".{record['id']}.tmp"
        with temporary.open("w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        temporary.replace(final)
        _fsync_dir(directory)
        return True
    except Exception:
        log.exception("could not quarantine a fallback record", extra={"record": record})
        return False


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def quarantined(settings: Settings) -> list[Record]:
    """Every quarantined record, oldest arrival first."""
    directory = quarantine_dir(settings)
    if not directory.is_dir():
        return []
    records = []
    for path in directory.glob("*.json"):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            log.error("unreadable quarantined record", extra={"file": str(path)})
    return sorted(records, key=lambda r: str(r.get("at", "")))


def quarantined_count(settings: Settings) -> int:
    """How many records wait for the operator (a directory listing: cheap)."""
    directory = quarantine_dir(settings)
    return sum(1 for _ in directory.glob("*.json")) if directory.is_dir() else 0


def _selected(settings: Settings, ids: Iterable[str] | None) -> tuple[list[Record], list[str]]:
    """The quarantined records named by ``ids`` (all with None), and the ids not found."""
    records = quarantined(settings)
    if ids is None:
        return records, []
    wanted = list(dict.fromkeys(ids))
    by_id = {str(r.get("id")): r for r in records}
    return [by_id[i] for i in wanted if i in by_id], [i for i in wanted if i not in by_id]


def retry(settings: Settings, ids: Iterable[str] | None = None) -> tuple[list[Record], list[str]]:
    """Put quarantined records back in the replay with their tries reset.

    Each is written to a pending file before its quarantine file is removed: a crash
    in between replays it twice, which replays tolerate, rather than losing it.

    Returns:
        The records moved back, and the ids that are not quarantined.
    """
    records, missing = _selected(settings, ids)
    moved = []
    for record in records:
        again = {k: v for k, v in record.items() if k != "quarantined_at"}
        again["tries"] = 0
        if write_pending(settings, again):
            (quarantine_dir(settings) / f"{record['id']}.json").unlink(missing_ok=True)
            moved.append(again)
    if moved:
        log.warning(
            "quarantined fallback records put back for replay",
            extra={"event": "fallback-retry", "ids": [r["id"] for r in moved]},
        )
    return moved, missing


def drop(settings: Settings, ids: Iterable[str] | None = None) -> tuple[list[Record], list[str]]:
    """Delete quarantined records for good; each is logged in full first.

    Returns:
        The records dropped, and the ids that are not quarantined.
    """
    records, missing = _selected(settings, ids)
    for record in records:
        log.warning(
            "quarantined fallback record dropped by the operator",
            extra={"event": "fallback-dropped", "record": record},
        )
        (quarantine_dir(settings) / f"{record['id']}.json").unlink(missing_ok=True)
    return records, missing


def summary(settings: Settings) -> dict[str, Any]:
    """Counts by area and kind, and the oldest arrival, of pending and quarantined records."""

    def describe(records: list[Record]) -> dict[str, Any]:
        kinds = Counter(f"{r.get('area')}.{r.get('kind')}" for r in records)
        return {
            "count": len(records),
            "by_kind": dict(sorted(kinds.items())),
            "oldest": min((str(r.get("at", "")) for r in records), default=None),
        }

    return {
        "pending": describe(pending(settings)),
        "quarantined": describe(quarantined(settings)),
    }


Handler = Callable[["Runtime", Record], None]


@dataclass(frozen=True)
class Area:
    """How one area replays its records.

    Attributes:
        handlers: kind -> a function replaying one record (raising if it failed).
        settle: run once after a pass with the records replayed without error
            (the IVR closes the calls they belong to); returns ids to report.
    """

    handlers: Mapping[str, Handler]
    settle: Callable[[Runtime, list[Record]], set[str]] | None = None
