"""The short load run (``make test``): the product in separate processes, patients dialling
in through the stand-in, a worker SIGKILLed, Redis flushed, PostgreSQL and Redis cut;
every patient is accounted for from the database."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from ops.loadtest import LoadtestConfig, run_loadtest
from ops.loadtest.accounting import overlapping_calls
from ops.loadtest.faults import parse_schedule
from sampark.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(redis_url: str | None) -> tuple[str, str]:
    database = os.environ.get("TEST_DATABASE_URL", "")
    if not database.startswith("postgresql") or redis_url is None:
        pytest.skip("the load run needs a real PostgreSQL and Redis (TEST_DATABASE_URL/REDIS_URL)")
    return database, redis_url


def test_no_patient_is_lost_through_a_worker_kill_a_redis_flush_and_outages(
    servers: tuple[str, str],
) -> None:
    report = run_loadtest(LoadtestConfig.short(*servers))
    summary = {k: v for k, v in report.items() if k not in ("details", "explained")}
    assert [e["error"] for e in report["faults"]] == [None] * 4, report["faults"]
    assert report["processes"]["worker_restarts"] == 1
    assert report["patients"] == 30 and sum(report["by_category"].values()) == 30
    # every kind of caller took part, and the callers' calls reached the app
    assert set(report["by_scenario"]) >= {"stay", "callback", "emergency", "hangup", "silence"}
    failures = json.dumps({"summary": summary, "details": report["details"]}, indent=1)
    assert report["failures"] == [], failures
    assert report["ok"]


def test_the_command_needs_a_real_postgresql_and_redis() -> None:
    args = ["loadtest", "--database-url", "sqlite:///x.db", "--redis-url", "redis://h/1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "PostgreSQL" in result.output


def test_two_of_our_calls_to_one_patient_at_once_are_counted() -> None:
    intervals = {
        "CA1": {"to": "+911", "direction": "outbound-api", "start": 0.0, "end": 50.0},
        "CA2": {"to": "+911", "direction": "outbound-api", "start": 40.0, "end": 90.0},
        "CA3": {"to": "+911", "direction": "outbound-api", "start": 90.0, "end": None},
        "CA4": {"to": "+912", "direction": "outbound-api", "start": 0.0, "end": 10.0},
        "CA5": {"to": "+912", "direction": "inbound", "start": 5.0, "end": 20.0},
    }
    assert overlapping_calls(intervals, {"+911", "+912"}) == {"+911": [["CA1", "CA2"]]}


def test_a_fault_schedule_is_read_in_time_order() -> None:
    faults = parse_schedule("cut_postgres@100+20,kill_worker@40")
    assert [(f.kind, f.at, f.duration) for f in faults] == [
        ("kill_worker", 40.0, 0.0),
        ("cut_postgres", 100.0, 20.0),
    ]
    with pytest.raises(ValueError):
        parse_schedule("reboot@3")
