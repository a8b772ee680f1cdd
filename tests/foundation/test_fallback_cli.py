"""``sampark fallback list|retry|drop``: the operator sees the quarantined webhooks and decides."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from core import fallback
from core.settings import Settings
from sampark.cli import main


def run(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    env = {"SAMPARK_INSTANCE_PATH": str(settings.instance_path)}
    return CliRunner().invoke(main, ["fallback", *args], env=env, input=stdin)


def held(settings: Settings, kind: str, at: str) -> str:
    """A record quarantined after failing every replay; returns its id."""
    record = fallback.new_record("workflows", kind, {"CallSid": "CA1"}, {}, route={"leg_id": 7})
    record.update(at=at, tries=fallback.MAX_TRIES, error="RuntimeError('a bug')")
    assert fallback.quarantine(settings, record)
    return str(record["id"])


@pytest.fixture
def two(settings: Settings) -> list[str]:
    fallback.append_record(settings, "ivr", "step", {"CallSid": "CA2"}, {"n": "age"})
    return [
        held(settings, "status", "2026-12-03T10:00:00+00:00"),
        held(settings, "conference", "2026-12-03T09:00:00+00:00"),
    ]


def test_list_counts_pending_and_quarantined_records_by_kind(
    settings: Settings, two: list[str]
) -> None:
    result = run(settings, "list", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["pending"]["count"] == 1 and body["pending"]["by_kind"] == {"ivr.step": 1}
    assert body["quarantined"] == {
        "count": 2,
        "by_kind": {"workflows.conference": 1, "workflows.status": 1},
        "oldest": "2026-12-03T09:00:00+00:00",
    }
    assert [r["id"] for r in body["quarantined_records"]] == [two[1], two[0]]  # oldest first
    table = run(settings, "list")
    assert "quarantined: 2 (workflows.conference 1, workflows.status 1)" in table.output
    assert two[0] in table.output and "a bug" in table.output


def test_retry_puts_a_record_back_in_the_replay_with_its_tries_reset(
    settings: Settings, two: list[str]
) -> None:
    result = run(settings, "retry", two[0])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in fallback.quarantined(settings)] == [two[1]]
    back = [r for r in fallback.pending(settings) if r["id"] == two[0]]
    assert [(r["tries"], r["kind"], r["route"]) for r in back] == [(0, "status", {"leg_id": 7})]
    assert run(settings, "retry", "--all").exit_code == 0
    assert fallback.quarantined(settings) == []


def test_drop_deletes_quarantined_records_and_logs_what_it_dropped(
    settings: Settings, two: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert run(settings, "drop", two[0], stdin="n\n").exit_code == 1  # asked, and refused
    assert len(fallback.quarantined(settings)) == 2
    result = run(settings, "drop", two[0], "--yes")
    assert result.exit_code == 0, result.output
    [logged] = [r for r in caplog.records if getattr(r, "event", "") == "fallback-dropped"]
    assert logged.record["id"] == two[0] and logged.record["kind"] == "status"  # type: ignore[attr-defined]
    assert run(settings, "drop", "--all", "--yes").exit_code == 0
    assert fallback.quarantined(settings) == [] and len(fallback.pending(settings)) == 1


def test_unknown_ids_and_missing_choices_are_refused(settings: Settings, two: list[str]) -> None:
    result = run(settings, "retry", "no-such-id")
    assert result.exit_code == 1 and "not quarantined: no-such-id" in result.output
    assert run(settings, "retry").exit_code == 2  # neither ids nor --all
    assert run(settings, "drop", two[0], "--all", "--yes").exit_code == 2
    assert len(fallback.quarantined(settings)) == 2


def test_healthz_counts_the_quarantined_records(client: FlaskClient, two: list[str]) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200  # they wait for the operator; the instance is fine
    assert response.json["fallback"] == {"quarantined": 2}
