"""A REST stand-in on a free port, over the tiny fake engine (the REST layer's own tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from twilio.rest import Client

from standin.faults_rest import RestFaults
from standin.rest import RestApp, RestServer, make_rest_app
from tests.standin_rest.fake_engine import ACCOUNT, FakeEngine

TOKEN = "rest-unit-token"


@dataclass
class FakeStandIn:
    engine: FakeEngine
    app: RestApp
    faults: RestFaults
    base_url: str

    def client(self, token: str = TOKEN) -> Client:
        """twilio-python's client, unmodified but for its base URL."""
        client = Client(ACCOUNT, token)
        client.api.base_url = self.base_url
        return client

    def url(self, suffix: str) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{ACCOUNT}{suffix}"


@pytest.fixture
def fake_standin() -> Iterator[FakeStandIn]:
    engine = FakeEngine()
    faults = RestFaults(seed=7)
    app = make_rest_app(engine, ACCOUNT, TOKEN, faults)
    server = RestServer(app)
    base_url = server.start()
    try:
        yield FakeStandIn(engine, app, faults, base_url)
    finally:
        server.stop()
