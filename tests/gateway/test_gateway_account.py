"""The gateway's account requests against the stand-in: the account, its numbers, dialing
permissions (voice.twilio.com's API at the stand-in's base URL), errors classified."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from core.settings import Settings
from standin import StandIn, VirtualClock
from telephony.errors import PermanentGatewayError, RetryableGatewayError
from telephony.gateway import TelephonyGateway

ACCOUNT = "AC" + "7" * 32
TOKEN = "account-requests-token"
NUMBER = "+442079460001"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    si = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=3)
    si.add_number(NUMBER, voice_url="http://old.example/voice")
    si.start()
    try:
        yield si
    finally:
        si.stop()


def _gateway(si: StandIn, token: str = TOKEN) -> TelephonyGateway:
    return TelephonyGateway(
        Settings.from_env(
            {
                "TWILIO_ACCOUNT_SID": ACCOUNT,
                "TWILIO_AUTH_TOKEN": token,
                "TWILIO_API_BASE_URL": str(si.base_url),
            }
        )
    )


def test_account_numbers_and_their_update(standin: StandIn) -> None:
    gateway = _gateway(standin)
    assert gateway.fetch_account() == {
        "sid": ACCOUNT,
        "friendly_name": "Stand-in account",
        "status": "active",
        "type": "Full",
    }
    (number,) = gateway.list_incoming_numbers()
    assert (number["phone_number"], number["voice_url"]) == (NUMBER, "http://old.example/voice")
    updated = gateway.update_incoming_number(
        number["sid"],
        voice_url="https://sampark.example/ivr/incoming",
        status_callback="https://sampark.example/ivr/status",
        sms_url="https://sampark.example/sms/inbound",
        sms_method="POST",
    )
    assert updated["voice_url"] == "https://sampark.example/ivr/incoming"
    assert gateway.list_incoming_numbers()[0]["sms_url"] == "https://sampark.example/sms/inbound"
    with pytest.raises(ValueError):
        gateway.update_incoming_number(number["sid"], friendly_name="not a webhook field")


def test_dialing_permissions(standin: StandIn) -> None:
    gateway = _gateway(standin)
    india = gateway.fetch_dialing_permissions("IN")
    assert india["name"] == "India" and india["low_risk_numbers_enabled"] is True
    assert india["high_risk_tollfraud_numbers_enabled"] is False
    control = f"{standin.base_url}/_standin/dialing-permissions/IN"
    answer = requests.put(control, json={"low_risk_numbers_enabled": False}, timeout=5)
    assert answer.status_code == 200 and answer.json()["low_risk_numbers_enabled"] is False
    assert gateway.fetch_dialing_permissions("IN")["low_risk_numbers_enabled"] is False
    with pytest.raises(PermanentGatewayError) as info:
        gateway.fetch_dialing_permissions("ZZ")
    assert (info.value.status, info.value.code) == (404, 20404)


def test_errors_are_classified(standin: StandIn) -> None:
    with pytest.raises(PermanentGatewayError) as refused:
        _gateway(standin, "not-" + TOKEN).fetch_account()
    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert standin.rest_faults is not None
    standin.rest_faults.configure(
        [
            {"endpoint": "dialing_permissions.fetch", "sequence": ["503"]},
            {"endpoint": "accounts.fetch", "sequence": ["429"]},
            {"endpoint": "incoming_phone_numbers.update", "sequence": ["500"]},
        ]
    )
    gateway = _gateway(standin)
    with pytest.raises(RetryableGatewayError):
        gateway.fetch_dialing_permissions("IN")
    with pytest.raises(RetryableGatewayError):
        gateway.fetch_account()
    sid = gateway.list_incoming_numbers()[0]["sid"]
    with pytest.raises(RetryableGatewayError):
        gateway.update_incoming_number(sid, voice_url="https://sampark.example/ivr/incoming")
    assert gateway.fetch_account()["status"] == "active"  # the plan's next outcome is "ok"
