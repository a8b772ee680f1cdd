"""``deploy/Procfile`` runs for real: honcho starts gunicorn, two ``sampark worker``s and the
stand-in on PostgreSQL and Redis; a patient dials in through the stand-in, answers the
intake, and the consultation reaches the workflow; honcho's SIGTERM leaves no process.

``sampark twilio check --region none`` passes against that stand-in first. The stand-in
runs without ``--region`` and the check without the registry's region: the product does not
yet keep India's rules (issue 16 item 2), so with ``IN`` the stand-in would refuse its calls
and the check would list its +91 caller IDs.
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
from models import Consultation, ConsultationState, ConsultationTransition, ServiceNumber
from models.district import NumberKind
from ops.loadtest.patients import script_json
from ops.loadtest.processes import ScratchDatabase, free_port
from ops.loadtest.responder import Answers, Responder
from standin import PhoneScript
from tests.deploy.procfile_run import ROOT, Honcho, alive, honcho_run, workflow_json, write_env_file

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


def _spoke_number(engine: Engine) -> str:
    with Session(engine) as s:
        number = s.scalar(
            select(ServiceNumber.number)
            .where(ServiceNumber.kind == NumberKind.SPOKE)
            .order_by(ServiceNumber.id)
            .limit(1)
        )
    assert number, "the district import gave no spoke number"
    return str(number)


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
            "PYTHONUNBUFFERED": "1",
        },
    )
    # What an operator does before the first start (the systemd web unit migrates itself).
    honcho_run(env_file, "sampark", "db", "upgrade")
    honcho_run(env_file, "sampark", "district", "import", str(ROOT / "data" / "kishanganj.yaml"))
    engine = create_engine(scratch_database)
    spoke = _spoke_number(engine)

    honcho = Honcho(env_file, tmp_path / "honcho.log")
    honcho.start()  # every line: web, worker1, worker2, standin
    try:
        health = honcho.wait_http(f"http://127.0.0.1:{web}/healthz").json()
        assert health["checks"] == {"database": "ok", "redis": "ok"}
        assert health["embedded"] == {"database": False, "redis": False}
        honcho.wait_http(f"{standin}/_standin/")
        _wait_for_workers(honcho)
        # The account as the operator checks it before going live: `--region none`, as the
        # stand-in runs without one (with the registry's own region, IN, the product's +91
        # caller IDs are refused until issue 16 item 2).
        report = honcho_run(env_file, "sampark", "twilio", "check", "--region", "none")
        assert report.startswith("ok: credentials"), report

        def control(method: str, path: str, body: Any = None) -> Any:
            r = requests.request(method, f"{standin}/_standin{path}", json=body, timeout=10)
            r.raise_for_status()
            return r.json()

        control("PUT", f"/phones/{PATIENT}", script_json(PhoneScript(hangup_after=600.0)))
        answers = Answers.draw("callback", "1", random.Random(7))  # Hindi, waits for a call-back
        responder = Responder(control, {PATIENT: answers})
        responder.start()
        try:
            sid = control("POST", "/dial-in", {"from": PATIENT, "to": spoke})["call_sid"]
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
