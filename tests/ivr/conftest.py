"""Fixtures for the IVR tests: the small district, and a way to read what was stored.

Every IVR test runs twice: on PostgreSQL and Redis, and on SQLite and the in-process
Redis stand-in (``make demo``'s embedded path). A test of PostgreSQL's own path (the
fast path, libpq) uses the ``server_only`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.runtime import Runtime
from core.settings import Settings
from sampark.cli.consultations import consultation_rows
from standin import StandIn, VirtualClock, WsgiTransport
from tests.builders import MiniDistrict, build_mini_district
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.ivr.caller import Caller
from workflows.handoff import hand_off

PATIENT = "+919431012345"


#: Every hour inside the workflow's call window: whether a caller is offered to stay on the
#: line (``ivr.stay``) must not depend on when the tests run. A test may close it again.
ALWAYS_OPEN = {"call_window": ["00:00", "00:00"]}


@pytest.fixture(params=["server", "embedded"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_only(backend: str) -> None:
    """For a test of what only runs on PostgreSQL (the fast path, libpq)."""
    if backend == "embedded":
        pytest.skip("PostgreSQL only (make demo's SQLite takes the full path)")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(extra={**settings.extra, "workflow": ALWAYS_OPEN})


@pytest.fixture
def mini(runtime: Runtime) -> MiniDistrict:
    with runtime.db.session() as s:
        return build_mini_district(s)


@pytest.fixture
def call_spoke(client: FlaskClient, mini: MiniDistrict):  # type: ignore[no-untyped-def]
    """A caller ringing HWC-001's own number (not yet dialled)."""

    def make(caller: str = PATIENT, spoke: str = "HWC-001") -> Caller:
        return Caller(client, caller, mini.spoke_numbers[spoke])

    return make


def stored(runtime: Runtime, **filters: Any) -> list[dict[str, Any]]:
    """What ``sampark consultations --json`` prints, newest first."""
    with runtime.db.session() as s:
        return consultation_rows(s, **filters)


def queued(runtime: Runtime, name: str) -> list[tuple[str, tuple[Any, ...]]]:
    """(function name, args) of the jobs waiting on an RQ queue."""
    return [(job.func_name, tuple(job.args)) for job in runtime.queue(name).jobs]


@pytest.fixture
def handoffs() -> Iterator[list[tuple[int, str]]]:
    """The hand-offs made (a spy around the real ``hand_off``)."""
    seen: list[tuple[int, str]] = []

    def spy(runtime: Runtime, consultation_id: int, event: str) -> bool:
        seen.append((consultation_id, event))
        return hand_off(runtime, consultation_id, event)

    with patch("ivr.after_commit.hand_off", side_effect=spy):
        yield seen


def full_day(runtime: Runtime) -> None:
    """Make every hour part of the call window (the tests run at any time of day)."""
    extra = {**runtime.settings.extra, "ivr": {"call_window": "00:00-23:59"}}
    runtime.settings = runtime.settings.with_overrides(extra=extra)


# -- whole calls through the local Twilio stand-in ------------------------------------------
BASE = "http://sampark.test"


def add_numbers(si: StandIn, mini: MiniDistrict) -> None:
    numbers = [*mini.spoke_numbers.values(), mini.district_number, mini.missed_call_number]
    for number in numbers:
        si.add_number(
            number, voice_url=f"{BASE}/ivr/incoming", status_callback=f"{BASE}/ivr/status"
        )


@pytest.fixture
def si(app: Flask, mini: MiniDistrict) -> Iterator[StandIn]:
    standin = StandIn(
        TEST_ACCOUNT_SID,
        TEST_AUTH_TOKEN,
        clock=VirtualClock(),
        seed=3,
        transport=WsgiTransport(app),
    )
    add_numbers(standin, mini)
    yield standin
    standin.stop()
