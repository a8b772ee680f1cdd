"""The recovery sweeper: re-drive the webhooks that failed (see ``ivr.fallback``).

``replay_fallback(runtime)`` claims each fallback file (atomic rename), replays
its records in order through the same handlers the webhooks use, then closes
every replayed call that is still open: the caller heard an apology and a
promise of a call-back, so the consultation is kept as *abandoned* and handed to
the workflow, which has the ANM call back. Records that fail again are written to
a new fallback file for the next sweep. Run it from cron or an RQ periodic job.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr import calls
from ivr.callback import schedule_callback
from ivr.fallback import append_record, fallback_dir
from sampark.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    files: int = 0
    replayed: int = 0
    failed: int = 0
    calls: set[str] = field(default_factory=set)


def replay_fallback(runtime: Runtime) -> ReplayReport:
    """Replay every pending fallback record; safe to run again (handlers are idempotent)."""
    report = ReplayReport()
    directory = fallback_dir(runtime.settings)
    if not directory.is_dir():
        return report
    for path in sorted(directory.glob("ivr-*.jsonl")):
        claimed = path.with_name(path.name + f".replaying-{os.getpid()}")
        try:
            path.rename(claimed)
        except FileNotFoundError:  # another sweeper took it
            continue
        report.files += 1
        _replay_file(runtime, claimed, report)
        claimed.rename(path.with_name(path.name + ".done"))
    return report


def _replay_file(runtime: Runtime, path: Path, report: ReplayReport) -> None:
    records = _read(path)
    opened: list[str] = []
    for record in records:
        sid = str(record.get("form", {}).get("CallSid", ""))
        try:
            _replay_one(runtime, record)
            report.replayed += 1
            if (
                sid
                and record.get("kind") in ("incoming", "step", "recording")
                and sid not in opened
            ):
                opened.append(sid)
        except Exception as exc:
            report.failed += 1
            log.exception("fallback record failed again; kept for the next sweep")
            append_record(
                runtime.settings,
                str(record.get("kind")),
                record.get("form", {}),
                record.get("args", {}),
                error=repr(exc),
            )
    for sid in opened:  # the caller was told we would call back: close the intake
        try:
            calls.status(
                runtime,
                {"CallSid": sid, "CallStatus": "completed"},
                {"reason": "recovered-after-failure", "replay": "1"},
            )
            report.calls.add(sid)
        except Exception:
            log.exception("could not close a replayed call", extra={"call_sid": sid})


def _replay_one(runtime: Runtime, record: dict[str, Any]) -> None:
    kind = record.get("kind")
    form = {str(k): str(v) for k, v in (record.get("form") or {}).items()}
    args = {str(k): str(v) for k, v in (record.get("args") or {}).items()}
    if kind == "callback":
        schedule_callback(
            runtime, caller=form["caller"], line=form["line"], purpose=form["purpose"]
        )
        return
    handler = calls.HANDLERS.get(str(kind))
    if handler is None:
        log.warning("unknown fallback record kind", extra={"kind": kind})
        return
    handler(runtime, form, {**args, "replay": "1"})


def _read(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:  # a torn last line from a crash
                log.error(
                    "unreadable fallback line skipped", extra={"file": str(path), "line": number}
                )
    return records
