"""Fixtures for the browser phone (``/_standin/phone``): the small district, the real app
behind the stand-in, and a client for the phone's JSON API over HTTP."""

from __future__ import annotations

import io
import json
import math
import struct
import urllib.error
import urllib.request
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from core.runtime import Runtime
from core.settings import Settings
from standin import StandIn, VirtualClock, WsgiTransport
from tests.builders import MiniDistrict, build_mini_district
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

BASE = "http://sampark.test"
#: A fictional patient mobile (the +91 99990 range the page offers).
VISITOR = "+919999012345"
#: Every hour inside the workflow's call window (the offer to stay must not depend on the hour).
ALWAYS_OPEN = {"call_window": ["00:00", "00:00"]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(extra={**settings.extra, "workflow": ALWAYS_OPEN})


@pytest.fixture
def mini(runtime: Runtime) -> MiniDistrict:
    with runtime.db.session() as s:
        return build_mini_district(s)


def add_numbers(si: StandIn, mini: MiniDistrict, base: str) -> None:
    """The district's numbers, named as the page lists them, pointing at the app."""
    named = {number: code for code, number in mini.spoke_numbers.items()}
    named[mini.district_number] = "District line"
    for number, name in named.items():
        si.add_number(number, voice_url=f"{base}/ivr/incoming",
                      status_callback=f"{base}/ivr/status", friendly_name=name)  # fmt: skip


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A WAV file of a 440 Hz tone (what a browser without a microphone sends)."""
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buf.getvalue()


@dataclass
class PhoneApi:
    """The page's JSON API, over HTTP, as the browser uses it."""

    url: str

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else None
        if body is not None and data is None:
            data = json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/_standin/phone{path}", data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.request(method, path, body)
        assert status == 200, answer
        return answer


@pytest.fixture
def si(app: Flask, mini: MiniDistrict) -> Iterator[StandIn]:
    """The stand-in on a virtual clock, webhooks into the real app, REST served over HTTP."""
    standin = StandIn(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, clock=VirtualClock(), seed=5,
                      transport=WsgiTransport(app))  # fmt: skip
    add_numbers(standin, mini, BASE)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def phone(si: StandIn) -> PhoneApi:
    return PhoneApi(str(si.base_url))
