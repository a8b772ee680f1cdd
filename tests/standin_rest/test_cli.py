"""``sampark standin`` serves the REST API and the control endpoints until SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

ACCOUNT = "AC" + "7" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_standin_command_serves_until_terminated():
    port = _free_port()
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "cli-token"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sampark.cli import main; main()",
            "standin",
            "--port",
            str(port),
            "--virtual",
            "--number",
            "+916456222333",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                clock = requests.get(f"{base}/_standin/clock", timeout=2).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert clock["virtual"] is True
        numbers = requests.get(
            f"{base}/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json",
            auth=(ACCOUNT, "cli-token"),
            timeout=5,
        ).json()
        assert [n["phone_number"] for n in numbers["incoming_phone_numbers"]] == ["+916456222333"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out
    assert f"Twilio stand-in on {base}" in out and "stand-in stopped" in out
