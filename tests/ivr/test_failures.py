"""Never an application error: the database or Redis fails, the caller still hears us."""

from __future__ import annotations

import json
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from flask.testing import FlaskClient

from core.runtime import Runtime
from ivr.after_commit import settle
from ivr.catalog import catalog
from ops.fallback_replay import replay as replay_fallback
from tests.builders import MiniDistrict
from tests.ivr.caller import Caller, answers
from tests.ivr.conftest import PATIENT, full_day, stored
from tests.ivr.outages import database_down, redis_down
from tests.ivr.test_webhooks import SELF_FEVER

HI, UR = catalog("hi"), catalog("ur")
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def fallback_records(runtime: Runtime) -> list[dict]:  # type: ignore[type-arg]
    directory = Path(runtime.settings.instance_path) / "fallback"
    return [
        json.loads(line)
        for path in sorted(directory.glob("ivr-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_database_down_mid_call_apology_then_nothing_is_lost(
    runtime,
    call_spoke,
    handoffs,
) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["2", "1", "1", ("rec", "http://rec/n")])
    assert phone.node == "age"
    with database_down(runtime):
        phone.press("42#")
        assert phone.words == [UR.spoken("apology"), UR.spoken("callback_promise")]
        assert phone.verbs() == ["Say", "Say", "Hangup"]
        phone.hang_up()  # the status callback fails too, and still answers 200
    assert [r["kind"] for r in fallback_records(runtime)] == ["step", "status"]
    before = stored(runtime)[0]
    assert before["state"] == "intake" and "age" not in before["answers"]

    report = replay_fallback(runtime)

    assert (report.files, report.replayed, report.failed) == (1, 2, 0)
    row = stored(runtime)[0]
    assert row["state"] == "abandoned"
    assert row["answers"]["age"] == "42" and row["patient"]["age_years"] == 42
    assert row["answers"]["name"] == "http://rec/n" and row["language"] == "ur"
    assert handoffs == [(row["id"], "abandoned")]
    assert replay_fallback(runtime).files == 0  # already replayed


def test_database_down_when_the_call_arrives(
    runtime,
    call_spoke,
    handoffs,
) -> None:
    phone = call_spoke()
    with database_down(runtime):
        phone.dial()
    assert phone.words == [HI.text("apology"), HI.text("callback_promise")]
    assert stored(runtime) == []
    replay_fallback(runtime)
    [row] = stored(runtime)
    assert row["state"] == "abandoned" and row["spoke"] == "HWC-001" and row["caller"] == PATIENT
    assert handoffs == [(row["id"], "abandoned")]


def test_a_replay_that_fails_again_is_kept_for_the_next_sweep(runtime, call_spoke) -> None:
    phone = call_spoke()
    with database_down(runtime):
        phone.dial()
        report = replay_fallback(runtime)
    assert report.failed == 1 and len(fallback_records(runtime)) == 1
    assert replay_fallback(runtime).replayed == 1
    assert stored(runtime)[0]["state"] == "abandoned"


def test_redis_down_the_intake_still_completes(
    runtime,
    call_spoke,
    handoffs,
) -> None:
    with redis_down(runtime):
        phone = call_spoke()
        phone.dial()
        # SMS script: default; the offer to stay on the line: silence (called back)
        answers(phone, [*SELF_FEVER, ("rec", "http://rec/d"), None, None])
        assert phone.words[-1] == HI.text("end_next")
    [row] = stored(runtime)
    assert row["state"] == "intake_complete"
    assert handoffs == [(row["id"], "intake_complete")]  # attempted; the sweeper re-drives it


def test_redis_down_an_emergency_still_alerts_the_anm(runtime, client, mini) -> None:
    from tests.ivr.signing import signed_post

    with redis_down(runtime):
        phone = Caller(client, PATIENT, mini.spoke_numbers["HWC-001"])
        phone.dial()
        answers(phone, ["1", "1", "1", ("rec", "http://rec/n"), "70#", "2", "8", "1#"])
        assert phone.node == "danger.chest_pain"
        form = phone._form(Digits="1")
        started = time.perf_counter()
        response = signed_post(client, "/ivr/step?n=danger.chest_pain&l=hi", form)
        elapsed = time.perf_counter() - started
        assert HI.text("emergency") in response.data.decode()
        assert elapsed < 1.0, "the caller waited on Redis"
        settle()
    row = stored(runtime)[0]
    assert row["state"] == "emergency" and row["danger_signs"] == ["chest_pain"]


def test_redis_down_a_missed_call_is_still_rejected_and_called_back_later(
    runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    full_day(runtime)
    phone = Caller(client, PATIENT, mini.missed_call_number)
    with redis_down(runtime):
        phone.dial()
    assert phone.verbs() == ["Reject"]
    assert [r["kind"] for r in fallback_records(runtime)] == ["callback"]
    assert runtime.queue("calls").jobs == []
    replay_fallback(runtime)
    [job] = runtime.queue("calls").jobs
    assert job.args[2] == f"missed-callback:{phone.call_sid}"


@pytest.mark.parametrize("path", ["/ivr/incoming", "/ivr/step?n=consent&l=bn"])
def test_a_bug_is_an_apology_not_a_stack_trace(runtime, client, mini, path: str) -> None:
    from tests.ivr.signing import signed_post

    with patch("ivr.calls.store.load_call", side_effect=RuntimeError("boom")):
        form = {"CallSid": "CA" + "b" * 32, "From": PATIENT, "To": mini.spoke_numbers["HWC-001"]}
        response = signed_post(client, path, form)
    assert response.status_code == 200 and b"Traceback" not in response.data
    language = "bn" if "l=bn" in path else "hi"
    assert catalog(language).text("apology") in response.data.decode()


def test_database_down_a_known_missed_call_line_still_rejects(
    runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    full_day(runtime)
    Caller(client, "+919431000001", mini.missed_call_number).dial()  # the line is now known
    phone = Caller(client, PATIENT, mini.missed_call_number)
    with database_down(runtime):
        phone.dial()
    assert phone.verbs() == ["Reject"]  # free for the caller, even now
    replay_fallback(runtime)
    purposes = [job.args[2] for job in runtime.queue("calls").jobs]
    assert f"missed-callback:{phone.call_sid}" in purposes
