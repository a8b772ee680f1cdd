"""``deploy/Procfile`` runs for real: honcho starts gunicorn, two ``sampark worker``s and the
stand-in on PostgreSQL and Redis; a patient dials in through the stand-in, answers the
intake, and the consultation reaches the workflow; honcho's SIGTERM leaves no process.

The stand-in applies India's rules, as it does by default for an Indian registry
(``--region auto``), and Kishanganj is set up as it can be on Twilio in India: its toll-free
district line on the account and an international ``OUTBOUND_CALLER_ID``. Its spoke landlines
and missed-call mobile stay in the registry (a spoke needs a number) but Twilio cannot supply
them: ``sampark twilio check`` (the registry's region) passes, the credentials, the two
numbers' URLs, caller ID, SMS sender, dialing permissions and webhook signatures, and notes
that those numbers are a domestic provider's to supply (patients reach their HWC through the
district line meanwhile). The patient rings the district line and keys their spoke's short code; the
stand-in refuses nothing.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.settings import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN
from models import Consultation, ConsultationState, ConsultationTransition, ServiceNumber, Spoke
from models.district import NumberKind
from ops.loadtest.patients import script_json
from ops.loadtest.processes import ScratchDatabase, free_port
from ops.loadtest.responder import Answers, Responder
from ops.simulate_callers import spoke_code_keys
from ops.simulate_setup import SIM_OUTBOUND_CALLER_ID
from standin import PhoneScript
from tests.deploy.procfile_run import (
    ROOT,
    Honcho,
    alive,
    honcho_call,
    honcho_run,
    workflow_json,
    write_env_file,
)

pytestmark = pytest.mark.slow
S = ConsultationState
PATIENT = "+919990012345"
#: The intake, answered as the loadtest's patients answer, took 100-110 s here (2 cores).
INTAKE_TIMEOUT_S = 300.0


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A database of this test's own on the test server (dropped afterwards)."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        pytest.skip("the Procfile's run needs PostgreSQL (TEST_DATABASE_URL)")
    db = ScratchDatabase(server)
    url = db.create()
    try:
        yield url
    finally:
        db.drop()


@pytest.fixture
def reserved_redis(redis_url: str | None) -> str:
    """The session's reserved Redis database index (tests/conftest.py), emptied."""
    if redis_url is None:
        pytest.skip("the Procfile's run needs a Redis server (TEST_REDIS_URL)")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def _registry(engine: Engine) -> tuple[str, list[str], str]:
    """(the toll-free district line, the numbers Twilio cannot supply in India, the first
    spoke's short code)."""
    with Session(engine) as s:
        numbers = dict(s.execute(select(ServiceNumber.number, ServiceNumber.kind)).all())
        code = s.scalar(select(Spoke.short_code).order_by(Spoke.id).limit(1))
    (line,) = [n for n, kind in numbers.items() if kind == NumberKind.DISTRICT]
    assert line.startswith("+911800") and code, (line, code)
    return line, sorted(n for n in numbers if n != line), str(code)


def _check_passes_noting_what_twilio_cannot_supply(report: str, unsuppliable: list[str]) -> None:
    lines = report.splitlines()
    assert not [line for line in lines if line.startswith("problem: ")], report
    assert lines[-1].startswith("ok: credentials, 2 number(s)"), report  # line + caller ID
    notes = [line for line in lines if "cannot be Twilio numbers" in line]
    counted = sum(int(n.split("note: ", 1)[1].split(" ", 1)[0]) for n in notes)
    assert counted == len(unsuppliable), report
    assert all("domestic provider" in n for n in notes)


def _past_intake(engine: Engine) -> tuple[Consultation, list[tuple[str, str]]] | None:
    """The patient's consultation once a worker has moved it on from intake_complete."""
    with Session(engine) as s:
        c = s.scalar(select(Consultation).where(Consultation.caller_mobile == PATIENT))
        if c is None:
            return None
        moves = [
            (str(t.from_state), str(t.to_state))
            for t in s.scalars(
                select(ConsultationTransition)
                .where(ConsultationTransition.consultation_id == c.id)
                .order_by(ConsultationTransition.id)
            )
        ]
        s.expunge(c)
    if any(f == S.INTAKE_COMPLETE for f, _ in moves):
        return c, moves
    return None


def test_procfile_runs_web_workers_and_standin_and_a_call_completes_an_intake(
    scratch_database: str, reserved_redis: str, tmp_path: Path
) -> None:
    web, standin_port = free_port(), free_port()
    standin = f"http://127.0.0.1:{standin_port}"
    env_file = write_env_file(
        tmp_path / "env",
        {
            "DATABASE_URL": scratch_database,
            "REDIS_URL": reserved_redis,
            "TWILIO_ACCOUNT_SID": LOCAL_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": LOCAL_AUTH_TOKEN,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{web}",
            "SAMPARK_BIND": f"127.0.0.1:{web}",
            "WEB_CONCURRENCY": "2",
            "STANDIN_PORT": str(standin_port),
            "TWILIO_API_BASE_URL": standin,
            "SAMPARK_INSTANCE_PATH": str(tmp_path / "instance"),
            "SAMPARK_QUEUE_PREFIX": f"pf{uuid.uuid4().hex[:6]}",
            "SAMPARK_WORKFLOW": workflow_json(),
            "IVR_CALL_WINDOW": "00:00-23:59",
            "OUTBOUND_CALLER_ID": SIM_OUTBOUND_CALLER_ID,
            "PYTHONUNBUFFERED": "1",
        },
    )

    # What an operator does before the first start (the systemd web unit migrates itself).
    honcho_run(env_file, "sampark", "db", "upgrade")
    honcho_run(env_file, "sampark", "district", "import", str(ROOT / "data" / "kishanganj.yaml"))
    engine = create_engine(scratch_database)
    line, unsuppliable, short_code = _registry(engine)

    honcho = Honcho(env_file, tmp_path / "honcho.log")
    honcho.start()  # every line: web, worker1, worker2, standin
    try:
        health = honcho.wait_http(f"http://127.0.0.1:{web}/healthz").json()
        assert health["checks"] == {"database": "ok", "redis": "ok"}
        assert health["embedded"] == {"database": False, "redis": False}
        honcho.wait_http(f"{standin}/_standin/")
        _wait_for_workers(honcho)
        # The account as the operator checks it before going live, under the registry's
        # region (India), which the stand-in applies too: it passes, noting the landlines
        # and the missed-call mobile, which a domestic provider would have to supply.
        checked = honcho_call(env_file, "sampark", "twilio", "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        _check_passes_noting_what_twilio_cannot_supply(checked.stdout, unsuppliable)

        def control(method: str, path: str, body: Any = None) -> Any:
            r = requests.request(method, f"{standin}/_standin{path}", json=body, timeout=10)
            r.raise_for_status()
            return r.json()

        assert control("GET", "/region")["region"]["code"] == "IN"
        control("PUT", f"/phones/{PATIENT}", script_json(PhoneScript(hangup_after=600.0)))
        # Hindi, the first spoke's code at the district line, waits for a call-back
        answers = Answers.draw("callback", "1", random.Random(7), spoke_code_keys(short_code))
        responder = Responder(control, {PATIENT: answers})
        responder.start()
        try:
            sid = control("POST", "/dial-in", {"from": PATIENT, "to": line})["call_sid"]
            found = _wait(lambda: _past_intake(engine), INTAKE_TIMEOUT_S)
        finally:
            responder.stop()
        assert found is not None, (
            f"no consultation moved on from intake_complete for {sid} in {INTAKE_TIMEOUT_S:.0f} s"
            f" ({responder.pressed} answers pressed)\n{honcho.output()[-4000:]}"
        )
        consultation, moves = found
        assert (S.INTAKE, S.INTAKE_COMPLETE) in moves
        assert consultation.state not in (S.INTAKE, S.INTAKE_COMPLETE, S.ABANDONED)
        assert consultation.spoke_id is not None  # the code keyed at the district line

        def ours() -> list[dict[str, Any]] | None:  # the ANM rung, from the caller ID
            calls = control("GET", "/calls")
            return [c for c in calls if c["direction"] == "outbound-api"] or None

        placed = _wait(ours, 60.0)
        assert placed and {c["from"] for c in placed} == {SIM_OUTBOUND_CALLER_ID}
        assert control("GET", "/region")["refused"] == {}
        honcho.record()
        processes = dict(honcho.seen)
        assert len(processes) >= 8, alive(processes)  # shells, gunicorn and its workers, ...

        assert honcho.terminate() is not None
        gone_by = time.monotonic() + 10
        while alive(processes) and time.monotonic() < gone_by:
            time.sleep(0.2)
        assert alive(processes) == {}, f"left running after honcho's SIGTERM: {alive(processes)}"
    finally:
        honcho.kill_all()
        engine.dispose()


def _wait_for_workers(honcho: Honcho, timeout: float = 60.0) -> None:
    """Until both ``sampark worker``s have said they work (their start-up line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        honcho.record()
        if honcho.output().count("sampark worker sampark-") >= 2:
            return
        time.sleep(0.3)
    raise AssertionError(f"the two workers did not start:\n{honcho.output()[-4000:]}")


def _wait(probe: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := probe()) is not None:
            return value
        time.sleep(0.5)
    return None
