"""The REST server keeps connections alive as Twilio does, reads bodies fully, fails cleanly."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from twilio.rest import Client

from standin.faults_rest import RestFaults
from standin.rest import RestServer, make_rest_app
from tests.standin_rest.conftest import TOKEN
from tests.standin_rest.fake_engine import ACCOUNT, FakeEngine

CALLS = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
CALL = {"To": "+919990000001", "From": "+916456222333", "Url": "http://app.test/voice"}
FORM = {"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Served:
    engine: FakeEngine
    faults: RestFaults
    server: RestServer
    host: str
    port: int

    @property
    def accepted(self) -> int:
        return self.server.server.connections_accepted

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=5)

    def raw(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=5)


def serve(app: Any) -> tuple[RestServer, str, int]:
    server = RestServer(app)
    server.start()
    host, port = server.server.server_address[:2]
    return server, str(host), int(port)


@pytest.fixture
def served() -> Iterator[Served]:
    engine, faults = FakeEngine(), RestFaults(seed=3)
    server, host, port = serve(make_rest_app(engine, ACCOUNT, TOKEN, faults))
    try:
        yield Served(engine, faults, server, host, port)
    finally:
        server.stop()


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (fails on a timeout instead)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_two_requests_share_one_connection(served: Served):
    conn = served.connection()
    answers = []
    for to in ("+919990000001", "+919990000002"):
        conn.request("POST", CALLS, urlencode({**CALL, "To": to}), FORM)
        sock = conn.sock
        response = conn.getresponse()
        answers.append((response.status, response.getheader("Connection"), response.read()))
        assert conn.sock is sock and sock is not None
    conn.close()
    assert [(status, connection) for status, connection, _ in answers] == [(201, None)] * 2
    assert [json.loads(body)["to"] for *_, body in answers] == ["+919990000001", "+919990000002"]
    assert served.accepted == 1


def test_a_client_asking_to_close_is_answered_and_closed(served: Served):
    sock = served.raw()
    sock.sendall(
        f"GET {CALLS} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    reply = read_all(sock)  # returns only because the server closed its side
    sock.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"\r\nConnection: close" in head
    assert json.loads(body)["calls"] == []


def test_http_1_0_clients_get_one_request_per_connection(served: Served):
    sock = served.raw()
    sock.sendall(f"GET {CALLS} HTTP/1.0\r\nAuthorization: {AUTH}\r\n\r\n".encode())
    reply = read_all(sock)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 200") and b"\r\nContent-Length: " in reply


def test_a_body_arriving_late_is_read_fully_before_acting(served: Served):
    body = urlencode({**CALL, "StatusCallback": "http://app.test/status?" + "x" * 5000})
    sock = served.raw()
    sock.sendall(
        f"POST {CALLS} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    time.sleep(0.2)
    sock.sendall(body[:100].encode())
    time.sleep(0.2)
    sock.sendall(body[100:].encode())
    reply = read_all(sock)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 201")
    [(name, (params,))] = served.engine.received
    assert name == "create_call" and params["StatusCallback"].endswith("x" * 5000)


def test_a_chunked_request_without_length_gets_411_and_is_closed(served: Served):
    sock = served.raw()
    body = urlencode(CALL).encode()
    sock.sendall(
        f"POST {CALLS} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
        + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    )
    reply = read_all(sock)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 411")
    assert served.engine.received == []


def test_an_app_exception_is_a_500_json_and_the_server_goes_on(caplog: pytest.LogCaptureFixture):
    calls = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        if len(calls) == 1:
            raise RuntimeError("secret detail")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode("latin-1"), b"|", environ["QUERY_STRING"].encode()]

    server, host, port = serve(app)
    try:
        with caplog.at_level(logging.ERROR):
            first = requests.get(f"http://{host}:{port}/boom", timeout=5)
        assert first.status_code == 500
        assert first.json() == {"code": 20500, "message": "Internal Server Error", "status": 500}
        assert "secret detail" not in first.text and "Traceback" not in first.text
        assert [r.levelno for r in caplog.records] == [logging.ERROR]
        second = requests.get(f"http://{host}:{port}/a%20b/%C3%A9?x=%20", timeout=5)
        assert second.status_code == 200
        assert second.headers["Content-Length"] == str(len(second.content))
        assert second.content == "/a b/é".encode() + b"|x=%20"
    finally:
        server.stop()


def test_twilio_python_reuses_its_connection(served: Served):
    client = Client(ACCOUNT, TOKEN)
    client.api.base_url = f"http://{served.host}:{served.port}"
    for n in range(4):
        client.calls.create(to=f"+91999000000{n}", from_="+916456222333", url="http://a.test/v")
    assert len(client.calls.list()) == 4
    client.calls(next(iter(served.engine.calls))).fetch()
    assert served.accepted == 1


def test_a_client_gone_during_a_held_request_is_dropped_quietly(
    served: Served, caplog: pytest.LogCaptureFixture
):
    served.faults.configure(
        [{"endpoint": "calls.create", "sequence": ["timeout"], "timeout_seconds": 0.5}]
    )
    with caplog.at_level(logging.DEBUG, logger="telephony"), pytest.raises(requests.Timeout):
        requests.post(
            f"http://{served.host}:{served.port}{CALLS}",
            data=CALL,
            auth=(ACCOUNT, TOKEN),
            timeout=0.1,
        )
    time.sleep(0.7)  # the hold ends and the server writes to the closed connection
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    conn = served.connection()
    conn.request("GET", CALLS, headers={"Authorization": AUTH})
    assert conn.getresponse().status == 200
    conn.close()


def test_stop_returns_and_closes_idle_kept_alive_connections():
    server, host, port = serve(make_rest_app(FakeEngine(), ACCOUNT, TOKEN))
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", CALLS, headers={"Authorization": AUTH})
    assert conn.getresponse().read()
    assert conn.sock is not None
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert conn.sock.recv(1) == b""  # the server ended the idle connection
    conn.close()
