"""The gateway's error classification, timeouts, fictional-number refusal and logging."""

from __future__ import annotations

import logging
import socket

import pytest

from core.settings import Settings
from telephony.errors import (
    FictionalNumberRefused,
    PermanentGatewayError,
    RetryableGatewayError,
)
from telephony.fictional import RegistryFictional
from telephony.gateway import TelephonyGateway
from tests.builders import build_mini_district
from tests.standin_rest.conftest import TOKEN, FakeStandIn

CALL = {
    "to": "+919990000001",
    "from_": "+916456222333",
    "url": "http://app.test/voice",
    "status_callback": "http://app.test/status",
}


def test_calls_conference_legs_and_sms_reach_the_standin(
    fake_standin: FakeStandIn, standin_settings: Settings
):
    gateway = TelephonyGateway(standin_settings)
    sid = gateway.place_call(**CALL, timeout=25)
    assert sid in fake_standin.engine.calls
    leg = gateway.add_participant(
        "consult-9",
        to="+919990000002",
        from_="+916456222333",
        label="doctor",
        status_callback="http://app.test/leg",
        beep=True,
        end_on_exit=True,
    )
    name, (conference, params) = fake_standin.engine.received[-2]
    assert (name, conference) == ("create_participant", "consult-9")
    assert params["Beep"] == "true" and params["EndConferenceOnExit"] is True
    gateway.update_participant("consult-9", leg, hold=True)
    assert fake_standin.engine.participants[("CF" + "2" * 32, leg)]["hold"] is True
    assert gateway.send_sms(to="+919990000001", from_="SAMPRK", body="Rx", status_callback=None)
    gateway.hangup(sid)
    assert fake_standin.engine.calls[sid]["status"] == "completed"


def test_twilio_edge_variables_do_not_move_the_requests(
    fake_standin: FakeStandIn, standin_settings: Settings, monkeypatch
):
    monkeypatch.setenv("TWILIO_EDGE", "singapore")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    assert TelephonyGateway(standin_settings).place_call(**CALL).startswith("CA")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"url": "not a url"}, 21205),
        ({"to": "9990000001"}, 21211),
        ({"status_events": ["answered", "bogus"]}, 20001),
    ],
)
def test_invalid_requests_are_permanent_with_twilios_code(
    standin_settings: Settings, change: dict, code: int
):
    with pytest.raises(PermanentGatewayError) as info:
        TelephonyGateway(standin_settings).place_call(**{**CALL, **change})
    assert (info.value.status, info.value.code, info.value.retryable) == (400, code, False)


def test_call_not_in_progress_is_permanent(standin_settings: Settings):
    gateway = TelephonyGateway(standin_settings)
    sid = gateway.place_call(**CALL)
    gateway.hangup(sid)
    with pytest.raises(PermanentGatewayError) as info:
        gateway.update_call(sid, url="http://app.test/next")
    assert info.value.code == 21220


def test_bad_credentials_are_permanent(standin_settings: Settings):
    wrong = standin_settings.with_overrides(twilio_auth_token="not-" + TOKEN)
    with pytest.raises(PermanentGatewayError) as info:
        TelephonyGateway(wrong).place_call(**CALL)
    assert (info.value.status, info.value.code) == (401, 20003)


@pytest.mark.parametrize("outcome", ["500", "503", "429"])
def test_server_errors_and_rate_limits_are_retryable(
    fake_standin: FakeStandIn, standin_settings: Settings, outcome: str
):
    fake_standin.faults.configure([{"endpoint": "calls.create", "sequence": [outcome]}])
    gateway = TelephonyGateway(standin_settings)
    with pytest.raises(RetryableGatewayError) as info:
        gateway.place_call(**CALL)
    assert info.value.status == int(outcome)
    assert info.value.code == {"500": 20500, "503": 20503, "429": 20429}[outcome]
    assert not info.value.outcome_unknown
    assert gateway.place_call(**CALL).startswith("CA")  # the plan's next outcome is "ok"


def test_a_timeout_is_retryable(fake_standin: FakeStandIn, standin_settings: Settings):
    fake_standin.faults.configure(
        [{"endpoint": "messages.create", "sequence": ["timeout"], "timeout_seconds": 1.0}]
    )
    gateway = TelephonyGateway(standin_settings, read_timeout=0.3)
    with pytest.raises(RetryableGatewayError) as info:
        gateway.send_sms(to="+919990000001", from_="SAMPRK", body="x", status_callback=None)
    assert info.value.status is None and "timed out" in info.value.message
    assert info.value.outcome_unknown  # the request went out: Twilio may have acted on it


def test_a_refused_connection_is_retryable(standin_settings: Settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = standin_settings.with_overrides(twilio_api_base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(RetryableGatewayError) as info:
        TelephonyGateway(closed, connect_timeout=0.5).place_call(**CALL)
    assert not info.value.outcome_unknown  # nothing left this machine: safe to send again


def _real_twilio_gateway(settings: Settings, fs: FakeStandIn, is_fictional) -> TelephonyGateway:
    """A gateway that believes it talks to Twilio, whose requests still land on the stand-in."""
    real = settings.with_overrides(twilio_api_base_url="https://api.twilio.com")
    gateway = TelephonyGateway(real, is_fictional=is_fictional)
    gateway.client.api.base_url = fs.base_url  # belt and braces: never leave this machine
    return gateway


def test_fictional_numbers_are_refused_on_real_twilio(
    fake_standin: FakeStandIn, standin_settings: Settings
):
    fictional = {"+919990000001"}
    gateway = _real_twilio_gateway(standin_settings, fake_standin, fictional.__contains__)
    with pytest.raises(FictionalNumberRefused) as info:
        gateway.place_call(**CALL)
    assert not info.value.retryable and "+919990000001" not in str(info.value)
    with pytest.raises(FictionalNumberRefused):
        gateway.send_sms(to="+919990000001", from_="SAMPRK", body="x", status_callback=None)
    with pytest.raises(FictionalNumberRefused):
        gateway.add_participant(
            "c",
            to="+919990000001",
            from_="+916456222333",
            label=None,
            status_callback="http://a.b/",
        )
    assert fake_standin.engine.calls == {} and fake_standin.engine.messages == {}
    assert gateway.place_call(**{**CALL, "to": "+919812345678"}).startswith("CA")
    # Against the stand-in, fictional numbers are the point: they are dialled.
    assert TelephonyGateway(standin_settings, is_fictional=fictional.__contains__).place_call(
        **CALL
    )


def test_registry_marks_numbers_fictional(runtime, fake_standin: FakeStandIn):
    with runtime.db.session() as session:
        mini = build_mini_district(session)
    anm_mobile = next(iter(mini.anms.values()))
    is_fictional = RegistryFictional(runtime.db, ttl=60)
    assert is_fictional(anm_mobile) and is_fictional(mini.district_number)
    assert not is_fictional("+919812345678")
    gateway = _real_twilio_gateway(runtime.settings, fake_standin, is_fictional)
    with pytest.raises(FictionalNumberRefused):
        gateway.place_call(**{**CALL, "to": anm_mobile})
    assert TelephonyGateway.for_runtime(runtime) is TelephonyGateway.for_runtime(runtime)


def test_requests_are_logged_without_secrets(
    fake_standin: FakeStandIn, standin_settings: Settings, caplog
):
    fake_standin.faults.configure([{"endpoint": "messages.create", "sequence": ["ok", "500"]}])
    gateway = TelephonyGateway(standin_settings)
    with caplog.at_level(logging.DEBUG):
        gateway.send_sms(to="+919990000001", from_="SAMPRK", body="secret rx", status_callback=None)
        with pytest.raises(RetryableGatewayError):
            gateway.send_sms(to="+919990000001", from_="SAMPRK", body="x", status_callback=None)
    ours = [r for r in caplog.records if r.name == "telephony.gateway"]
    assert [(r.resource, r.outcome) for r in ours] == [  # type: ignore[attr-defined]
        ("messages.create", "ok"),
        ("messages.create", "retryable"),
    ]
    assert all(r.duration_ms >= 0 for r in ours)  # type: ignore[attr-defined]
    everything = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    for secret in (TOKEN, "+919990000001", "secret rx"):
        assert secret not in everything


def test_an_unreadable_registry_refuses_for_now(
    fake_standin: FakeStandIn, standin_settings: Settings
):
    def broken(_number: str) -> bool:
        raise ConnectionError("database down")

    gateway = _real_twilio_gateway(standin_settings, fake_standin, broken)
    with pytest.raises(RetryableGatewayError):
        gateway.place_call(**CALL)
    assert fake_standin.engine.calls == {}
