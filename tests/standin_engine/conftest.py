"""Fixtures: a StandIn on a virtual clock delivering webhooks in-process to the TwiML app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from standin import StandIn, VirtualClock, WsgiTransport
from tests.standin_engine.twiml_app import BASE, make_app

ACCOUNT = "AC" + "a" * 32
TOKEN = "standin-engine-test-token"
CLINIC = "+918045678901"  # our number
PATIENT = "+919431012345"
ANM = "+919812345678"
DOCTOR = "+919900112233"


@pytest.fixture
def twiml_app() -> Flask:
    return make_app(TOKEN)


@pytest.fixture
def si(twiml_app: Flask) -> Iterator[StandIn]:
    standin = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=7,
                      transport=WsgiTransport(twiml_app))  # fmt: skip
    standin.add_number(CLINIC, voice_url=f"{BASE}/voice", status_callback=f"{BASE}/status",
                       sms_url=f"{BASE}/sms")  # fmt: skip
    yield standin
    standin.stop()
