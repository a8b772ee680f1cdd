"""``sampark standin`` configures its numbers as an operator configures Twilio's, and its
control endpoints answer loopback clients only unless ``--control-from-anywhere``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from werkzeug.test import Client

from standin.rest import make_rest_app
from tests.standin_rest.fake_engine import ACCOUNT as FAKE_ACCOUNT
from tests.standin_rest.fake_engine import FakeEngine

ACCOUNT = "AC" + "7" * 32
TOKEN = "cli-token"
APP = "http://app.example:5000"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _outward_address() -> str | None:
    """This machine's address on its outward interface (None when it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # no packet is sent: only a route is chosen
        except OSError:
            return None
        address = str(sock.getsockname()[0])
    return None if address.startswith("127.") else address


@contextmanager
def _standin(tmp_path: Path, *args: str) -> Iterator[str]:
    """``sampark standin ARGS`` on a free port, on every interface; yields the port."""
    port = _free_port()
    env = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",  # a registry with no numbers
    }
    command = ["standin", "--port", str(port), "--host", "0.0.0.0", "--virtual", *args]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from sampark.cli import main; main()", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/_standin/clock", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        yield str(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out


def test_app_url_gives_every_number_its_voice_url_status_callback_and_sms_url(
    tmp_path: Path,
) -> None:
    numbers = ["+916456222333", "+916456220099"]
    args = ["--app-url", f"{APP}/", *(a for n in numbers for a in ("--number", n))]
    with _standin(tmp_path, *args) as port:
        listed = requests.get(
            f"http://127.0.0.1:{port}/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json",
            auth=(ACCOUNT, TOKEN),
            timeout=5,
        ).json()["incoming_phone_numbers"]
    configured = {
        n["phone_number"]: (
            n["voice_url"],
            n["voice_method"],
            n["status_callback"],
            n["status_callback_method"],
            n["sms_url"],
        )
        for n in listed
    }
    expected = (f"{APP}/ivr/incoming", "POST", f"{APP}/ivr/status", "POST", f"{APP}/sms/inbound")
    assert configured == {number: expected for number in numbers}


def test_control_endpoints_refuse_another_machine_unless_told(tmp_path: Path) -> None:
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no address but loopback")
    for flags, remote_status in (((), 403), (("--control-from-anywhere",), 200)):
        with _standin(tmp_path, *flags) as port:
            local = requests.get(f"http://127.0.0.1:{port}/_standin/clock", timeout=5)
            remote = requests.get(f"http://{outward}:{port}/_standin/clock", timeout=5)
            rest = requests.get(  # the REST API (with its credentials) answers anyone
                f"http://{outward}:{port}/2010-04-01/Accounts/{ACCOUNT}/Calls.json",
                auth=(ACCOUNT, TOKEN),
                timeout=5,
            )
        assert (local.status_code, remote.status_code, rest.status_code) == (
            200,
            remote_status,
            200,
        ), remote.text


@pytest.mark.parametrize(
    ("remote", "anywhere", "status"),
    [
        ("127.0.0.1", False, 200),
        ("127.8.9.10", False, 200),
        ("::1", False, 200),
        ("::ffff:127.0.0.1", False, 200),
        ("10.0.0.7", False, 403),
        ("192.0.2.2", False, 403),
        ("fd00::2", False, 403),
        ("", False, 403),
        ("10.0.0.7", True, 200),
    ],
)
def test_the_control_api_serves_loopback_clients_only(
    remote: str, anywhere: bool, status: int
) -> None:
    app = make_rest_app(FakeEngine(), FAKE_ACCOUNT, "t", control_from_anywhere=anywhere)
    client = Client(app)
    environ = {"REMOTE_ADDR": remote}
    for path in ("/_standin/", "/_standin/stats", "/_standin/faults/rest"):
        assert client.get(path, environ_base=environ).status_code == status, path
    put = client.put("/_standin/faults/rest", json={"rules": []}, environ_base=environ)
    assert put.status_code == status
