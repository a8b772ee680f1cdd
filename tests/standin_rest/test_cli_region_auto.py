"""``sampark standin --app-url`` applies the registry's country rules by default
(``--region auto``: India's for Indian numbers), leaves off the account the numbers Twilio
cannot supply there, and puts ``OUTBOUND_CALLER_ID`` on it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import Base, District, NumberKind, ServiceNumber

ACCOUNT = "AC" + "6" * 32
TOKEN = "region-auto-token"
APP = "http://app.example:5000"
TOLL_FREE = "+9118004569000"
LANDLINE = "+916456900000"
MISSED_CALL = "+919999000100"
CALLER_ID = "+12025550143"


def _registry(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        district = District(code="RA", name="Region auto", state="Bihar")
        s.add(district)
        s.flush()
        for number, kind in (
            (TOLL_FREE, NumberKind.DISTRICT),
            (LANDLINE, NumberKind.SPOKE),
            (MISSED_CALL, NumberKind.MISSED_CALL),
        ):
            s.add(ServiceNumber(number=number, kind=kind, district_id=district.id, fictional=True))
        s.commit()
    engine.dispose()
    return url


def _run(database_url: str, *args: str, **env: str) -> tuple[dict[str, Any], list[str], str]:
    """``sampark standin --app-url APP ARGS``: (GET /_standin/region, numbers, output)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    environ = {k: v for k, v in os.environ.items() if k != "OUTBOUND_CALLER_ID"}
    environ.update(
        TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN, DATABASE_URL=database_url, **env
    )
    argv = [sys.executable, "-c", "from sampark.cli import main; main()", "standin"]
    argv += ["--port", str(port), "--virtual", "--app-url", APP, *args]
    proc = subprocess.Popen(
        argv, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                region = requests.get(f"{base}/_standin/region", timeout=2).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        listed = requests.get(
            f"{base}/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json",
            auth=(ACCOUNT, TOKEN),
            timeout=5,
        ).json()["incoming_phone_numbers"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out
    return region, sorted(n["phone_number"] for n in listed), out


@pytest.fixture
def registry(tmp_path: Path) -> str:
    return _registry(tmp_path / "registry.db")


def test_an_indian_registry_gets_indias_rules_and_only_what_twilio_supplies(
    registry: str,
) -> None:
    region, numbers, out = _run(registry, OUTBOUND_CALLER_ID=CALLER_ID)
    assert region["region"]["code"] == "IN" and region["refused"] == {}
    assert numbers == sorted([TOLL_FREE, CALLER_ID])
    for number in (LANDLINE, MISSED_CALL):
        assert f"not on the account: {number}: Twilio has no such number in India" in out
    assert "OUTBOUND_CALLER_ID" not in out  # set: no warning


def test_without_an_outbound_caller_id_it_warns(registry: str) -> None:
    region, numbers, out = _run(registry)
    assert region["region"]["code"] == "IN" and numbers == [TOLL_FREE]
    assert "set OUTBOUND_CALLER_ID to an international number" in out


def test_region_none_puts_every_number_on_the_account(registry: str) -> None:
    region, numbers, out = _run(registry, "--region", "none", OUTBOUND_CALLER_ID=CALLER_ID)
    assert region == {"region": None, "refused": {}}
    assert numbers == sorted([TOLL_FREE, LANDLINE, MISSED_CALL, CALLER_ID])
    assert "not on the account" not in out
