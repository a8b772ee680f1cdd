"""The shared durable fallback: bounded tries, quarantine, outages, one replay at a time.

Records are made the way production makes them (an IVR webhook failing while the
database is down) and replayed by ``ops.fallback_replay.replay``; faults are
injected into the IVR's own code.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from unittest.mock import patch

import pytest

from core import fallback
from core.runtime import Runtime
from ops.fallback_replay import replay
from tests.ivr.conftest import PATIENT, stored
from tests.ivr.outages import database_down


def files(runtime: Runtime) -> Path:
    return fallback.fallback_dir(runtime.settings)


def test_a_record_failing_every_replay_is_quarantined_after_max_tries_never_retried(
    runtime: Runtime, call_spoke, caplog: pytest.LogCaptureFixture
) -> None:
    with database_down(runtime):
        call_spoke().dial()
    [kept] = fallback.pending(runtime.settings)
    caplog.set_level(logging.WARNING)
    with patch("ivr.calls.store.load_call", side_effect=RuntimeError("a bug")) as bug:
        for tries in range(1, fallback.MAX_TRIES):
            report = replay(runtime)
            assert (report.failed, report.quarantined) == (1, 0)
            [again] = fallback.pending(runtime.settings)
            assert (again["id"], again["tries"]) == (kept["id"], tries)
        assert replay(runtime).quarantined == 1
        assert fallback.pending(runtime.settings) == []
        for _ in range(3):  # later sweeps leave it alone
            assert replay(runtime).files == 0
        assert bug.call_count == fallback.MAX_TRIES
    [held] = fallback.quarantined(runtime.settings)
    assert (held["id"], held["tries"], held["kind"]) == (kept["id"], fallback.MAX_TRIES, "incoming")
    assert "a bug" in held["error"]
    quarantines = [r for r in caplog.records if getattr(r, "event", "") == "fallback-quarantined"]
    assert len(quarantines) == 1 and quarantines[0].levelno == logging.ERROR
    assert stored(runtime) == []

    moved, missing = fallback.retry(runtime.settings, [kept["id"]])
    assert missing == [] and [r["tries"] for r in moved] == [0]
    assert fallback.quarantined(runtime.settings) == []
    assert replay(runtime).replayed == 1
    [row] = stored(runtime)
    assert row["state"] == "abandoned" and row["caller"] == PATIENT


def test_an_outage_during_a_replay_costs_one_try_and_keeps_the_order(
    runtime: Runtime, call_spoke
) -> None:
    callers = [f"+9194310000{k:02d}" for k in range(3)]
    with database_down(runtime):
        for caller in callers:
            call_spoke(caller).dial()
        report = replay(runtime)  # the database is still down
    assert (report.failed, report.deferred, report.quarantined) == (1, 2, 0)
    pending = fallback.pending(runtime.settings)
    assert [(r["form"]["From"], r["tries"]) for r in pending] == [
        (callers[0], 1),
        (callers[1], 0),
        (callers[2], 0),
    ]
    assert replay(runtime).replayed == 3
    assert sorted(row["caller"] for row in stored(runtime)) == callers


def test_files_a_killed_replay_had_claimed_are_replayed_by_the_next(
    runtime: Runtime, call_spoke
) -> None:
    with database_down(runtime):
        call_spoke().dial()
    [path] = files(runtime).glob("ivr-*.jsonl")
    path.rename(path.with_name(path.name + ".replaying-999999"))  # its replayer was killed
    assert fallback.pending(runtime.settings) == []
    assert replay(runtime).replayed == 1
    assert stored(runtime)[0]["state"] == "abandoned"
    assert list(files(runtime).glob("*.replaying-*")) == []


def test_one_replay_at_a_time(runtime: Runtime, call_spoke) -> None:
    with database_down(runtime):
        call_spoke().dial()
    fd = os.open(files(runtime) / ".replay.lock", os.O_WRONLY | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process is replaying
        assert replay(runtime).files == 0
        assert len(fallback.pending(runtime.settings)) == 1
    finally:
        os.close(fd)
    assert replay(runtime).replayed == 1


def test_a_record_nothing_can_replay_is_quarantined_at_once(runtime: Runtime) -> None:
    for area, kind in (("ivr", "no-such-kind"), ("no-such-area", "step")):
        fallback.append_record(runtime.settings, area, kind, {"CallSid": "CA1"}, {})
    report = replay(runtime)
    assert (report.replayed, report.quarantined) == (0, 2)
    assert sorted(r["kind"] for r in fallback.quarantined(runtime.settings)) == [
        "no-such-kind",
        "step",
    ]
