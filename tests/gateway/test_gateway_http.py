"""The gateway's urllib3 transport: request encoding, keep-alive, proxies, transport errors."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from core.settings import Settings
from telephony.errors import RetryableGatewayError
from telephony.gateway import TelephonyGateway
from telephony.gateway_http import TimedHttpClient, transport_error
from tests.standin_rest.conftest import TOKEN, FakeStandIn
from tests.standin_rest.fake_engine import ACCOUNT

CALL = {
    "to": "+919990000001",
    "from_": "+916456222333",
    "url": "http://app.test/voice",
    "status_callback": "http://app.test/status",
}
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


class _Api(ThreadingHTTPServer):
    """A keep-alive HTTP/1.1 server answering every request with one call's JSON."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.seen: list[tuple[str, str, Message, bytes]] = []  # headers: any case
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Api

    def setup(self) -> None:  # once per accepted connection
        super().setup()
        self.server.connections += 1

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.command, self.path, self.headers, body))
        answer: dict[str, Any] = {"sid": "CA" + "0" * 32, "status": "queued"}
        if "/Conferences.json" in self.path:  # a page of one conference
            answer = {"conferences": [{"sid": "CF" + "1" * 32}], "next_page_uri": None}
        payload = json.dumps(answer).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[_Api]:
    server = _Api()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _settings(base_url: str) -> Settings:
    return Settings.from_env(
        {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE_URL": base_url}
    )


def test_connections_are_kept_alive_and_dropped_on_demand(api: _Api):
    gateway = TelephonyGateway(_settings(api.url))
    for _ in range(3):
        assert gateway.place_call(**CALL) == "CA" + "0" * 32
    assert gateway.fetch_call("CA" + "0" * 32)["status"] == "queued"
    assert (len(api.seen), api.connections) == (4, 1)  # one connection served all four
    gateway.forget_connections()  # what a forked child does
    gateway.place_call(**CALL)
    assert (len(api.seen), api.connections) == (5, 2)


def test_requests_carry_a_form_body_a_query_string_and_basic_auth(api: _Api):
    gateway = TelephonyGateway(_settings(api.url))
    gateway.place_call(**CALL, status_events=["initiated", "answered"])
    method, path, headers, body = api.seen[-1]
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (
        headers["Authorization"]
        == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    )
    form = parse_qs(body.decode(), strict_parsing=True)
    assert form["StatusCallbackEvent"] == ["initiated", "answered"]  # the key repeated
    assert form["To"] == [CALL["to"]] and form["Record"] == ["false"]
    assert gateway.conference_sid("consult 9") == "CF" + "1" * 32
    method, path, _, body = api.seen[-1]
    query = parse_qs(urlsplit(path).query)
    assert (method, urlsplit(path).path, body) == (
        "GET",
        f"/2010-04-01/Accounts/{ACCOUNT}/Conferences.json",
        b"",
    )
    assert query["FriendlyName"] == ["consult 9"] and query["Status"] == ["in-progress"]


def test_two_status_events_reach_the_standin_as_two(
    fake_standin: FakeStandIn, standin_settings: Settings
):
    TelephonyGateway(standin_settings).place_call(**CALL, status_events=["initiated", "answered"])
    name, (params,) = fake_standin.engine.received[-1]
    assert name == "create_call" and params["StatusCallbackEvent"] == ["initiated", "answered"]


def test_the_environments_proxy_is_used(api: _Api, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTP_PROXY", api.url.replace("://", "://agent:s%40cret@"))
    gateway = TelephonyGateway(_settings("http://api.twilio.invalid"))
    monkeypatch.delenv("HTTP_PROXY")  # read once, when the gateway was made
    gateway.place_call(**CALL)
    _, path, headers, _ = api.seen[-1]
    assert path == f"http://api.twilio.invalid/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"agent:s@cret").decode()


def test_no_proxy_and_the_ca_bundle_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path
):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert isinstance(TimedHttpClient(1, 1, "https://api.twilio.com").pool, urllib3.ProxyManager)
    monkeypatch.setenv("NO_PROXY", "localhost,.twilio.com")
    client = TimedHttpClient(1, 1, "https://api.twilio.com")
    assert not isinstance(client.pool, urllib3.ProxyManager)
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert TimedHttpClient(1, 1, "https://x.test").pool.connection_pool_kw["ca_certs"] == str(
        bundle
    )


def _one_shot_server(behaviour: str) -> tuple[str, threading.Event]:
    """A server that reads one request, then resets the connection or never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        if behaviour == "reset":  # an RST instead of an answer
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        else:
            done.wait(5)
        conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", done


@pytest.mark.parametrize(
    ("behaviour", "cause", "message"),
    [
        ("reset", ProtocolError, "no answer from the API"),
        ("silent", ReadTimeoutError, "timed out: ReadTimeoutError"),
    ],
)
def test_a_request_sent_without_an_answer_has_an_unknown_outcome(
    behaviour: str, cause: type[Exception], message: str
):
    url, done = _one_shot_server(behaviour)
    try:
        with pytest.raises(RetryableGatewayError) as info:
            TelephonyGateway(_settings(url), read_timeout=0.3).place_call(**CALL)
    finally:
        done.set()
    assert isinstance(info.value.__cause__, cause)
    assert info.value.message == message and info.value.outcome_unknown


def test_a_refused_connection_was_never_sent():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RetryableGatewayError) as info:
        TelephonyGateway(_settings(f"http://127.0.0.1:{port}")).place_call(**CALL)
    assert isinstance(info.value.__cause__, NewConnectionError)  # retries=False: not wrapped
    assert info.value.message == "could not connect to the API"
    assert not info.value.outcome_unknown


def test_a_connect_timeout_was_never_sent():
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    with listener, socket.create_connection(listener.getsockname()):  # the queue is now full
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(RetryableGatewayError) as info:
            TelephonyGateway(_settings(url), connect_timeout=0.3).place_call(**CALL)
    assert type(info.value.__cause__) is ConnectTimeoutError
    assert info.value.message == "timed out: ConnectTimeoutError"
    assert not info.value.outcome_unknown


def test_a_wrapped_connection_failure_is_still_never_sent():
    refused = NewConnectionError(None, "refused")
    error = transport_error(MaxRetryError(None, "/x", refused))
    assert error.message == "could not connect to the API" and not error.outcome_unknown
    lost = transport_error(MaxRetryError(None, "/x", ProtocolError("aborted")))
    assert lost.message == "no answer from the API" and lost.outcome_unknown
