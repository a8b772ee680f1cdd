"""twilio-python and the gateway against the real stand-in (engine, virtual clock, REST server).

The only change to twilio-python is its base URL. A tiny TwiML app receives the webhooks
in-process (``WsgiTransport``) and records what it was sent.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, request
from twilio.rest import Client

from core.settings import Settings
from standin import PhoneScript, StandIn, VirtualClock, WsgiTransport
from telephony.errors import PermanentGatewayError
from telephony.gateway import TelephonyGateway

ACCOUNT = "AC" + "5" * 32
TOKEN = "engine-rest-token"
OUR_NUMBER = "+916456222333"
PATIENT = "+919990000001"
DOCTOR = "+919990000002"
ANM = "+919990000003"
APP = "http://app.test"


def tiny_app(seen: list[tuple[str, dict[str, str]]]) -> Flask:
    app = Flask("tiny")

    @app.post("/<path:name>")
    def hook(name: str):  # type: ignore[no-untyped-def]
        seen.append((name, request.form.to_dict()))
        if name == "voice":
            return (
                '<Response><Gather numDigits="1" action="/gathered" timeout="3">'
                "<Say>Press 1</Say></Gather><Hangup/></Response>",
                200,
                {"Content-Type": "text/xml"},
            )
        if name == "gathered":
            xml = '<Response><Record maxLength="5" action="/recorded"/></Response>'
            return xml, 200, {"Content-Type": "text/xml"}
        if name == "recorded":
            return "<Response><Hangup/></Response>", 200, {"Content-Type": "text/xml"}
        return "", 204

    return app


@pytest.fixture
def seen() -> list[tuple[str, dict[str, str]]]:
    return []


@pytest.fixture
def standin(seen: list[tuple[str, dict[str, str]]]) -> Iterator[StandIn]:
    si = StandIn(
        ACCOUNT, TOKEN, clock=VirtualClock(), seed=3, transport=WsgiTransport(tiny_app(seen))
    )
    si.add_number(OUR_NUMBER, voice_url=f"{APP}/voice", sms_url=f"{APP}/sms")
    si.start()
    try:
        yield si
    finally:
        si.stop()


def _client(si: StandIn) -> Client:
    client = Client(ACCOUNT, TOKEN)
    client.api.base_url = str(si.base_url)
    return client


def _gateway(si: StandIn) -> TelephonyGateway:
    settings = Settings.from_env(
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_API_BASE_URL": si.base_url,
        }
    )
    return TelephonyGateway(settings)


def test_twilio_client_places_a_call_that_runs_our_twiml(standin: StandIn, seen):
    standin.script(PATIENT, PhoneScript(answer_after=2, digits=["1"], record_seconds=4))
    call = _client(standin).calls.create(
        to=PATIENT,
        from_=OUR_NUMBER,
        url=f"{APP}/voice",
        status_callback=f"{APP}/status",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    assert call.sid.startswith("CA") and call.status == "queued"
    standin.run_until_idle()
    fetched = _client(standin).calls(call.sid).fetch()
    assert fetched.status == "completed"
    names = [name for name, _ in seen]
    assert names[:1] == ["status"] and {"voice", "gathered", "recorded"} <= set(names)
    statuses = [form["CallStatus"] for name, form in seen if name == "status"]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    digits = [form.get("Digits") for name, form in seen if name == "gathered"]
    assert digits == ["1"]
    recording_sid = next(form["RecordingSid"] for name, form in seen if name == "recorded")
    recording = _gateway(standin).fetch_recording(recording_sid)
    assert recording["call_sid"] == call.sid and int(recording["duration"]) >= 1
    media = requests.get(recording["media_url"] + ".wav", auth=(ACCOUNT, TOKEN), timeout=5)
    assert media.status_code == 200 and media.content[:4] == b"RIFF"


def _recorded(standin: StandIn, seen, seconds: int = 4) -> str:
    """A call that records ``seconds`` of speech; its RecordingUrl."""
    standin.script(PATIENT, PhoneScript(answer_after=2, digits=["1"], record_seconds=seconds))
    _client(standin).calls.create(to=PATIENT, from_=OUR_NUMBER, url=f"{APP}/voice")
    standin.run_until_idle()
    return next(form["RecordingUrl"] for name, form in seen if name == "recorded")


def test_recording_media_needs_the_accounts_credentials(standin: StandIn, seen):
    url = _recorded(standin, seen)
    for auth in (None, (ACCOUNT, "wrong-token"), ("AC" + "6" * 32, TOKEN)):
        refused = requests.get(url + ".wav", auth=auth, timeout=5)
        assert refused.status_code == 401, auth
        assert refused.json()["code"] == 20003
    wav = requests.get(url, auth=(ACCOUNT, TOKEN), timeout=5)  # no extension: WAV
    assert wav.status_code == 200 and wav.headers["Content-Type"] == "audio/x-wav"
    with wave.open(io.BytesIO(wav.content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 4  # as long as the recording
    mp3 = requests.get(url + ".mp3", auth=(ACCOUNT, TOKEN), timeout=5)
    assert mp3.status_code == 200 and mp3.headers["Content-Type"] == "audio/mpeg"
    assert mp3.content[:2] == b"\xff\xf3"  # an MPEG-2 Layer III frame
    other = url.replace(ACCOUNT, "AC" + "6" * 32)
    assert requests.get(other, auth=(ACCOUNT, TOKEN), timeout=5).status_code in (401, 404)
    gone = url.rsplit("/", 1)[0] + "/RE" + "0" * 32 + ".wav"
    missing = requests.get(gone, auth=(ACCOUNT, TOKEN), timeout=5)
    assert missing.status_code == 404 and missing.json()["code"] == 20404


def test_gateway_fetches_recording_media_by_sid_or_url(standin: StandIn, seen):
    url = _recorded(standin, seen, seconds=3)
    sid = url.rsplit("/", 1)[1]
    gateway = _gateway(standin)
    for given in (sid, url, url + ".mp3", "https://elsewhere.example/x/Recordings/" + sid):
        media = gateway.fetch_recording_media(given)  # only the SID is used
        body = b"".join(media.chunks)
        assert media.sid == sid and media.content_type == "audio/x-wav"
        assert body[:4] == b"RIFF" and media.content_length == len(body)
    mp3 = gateway.fetch_recording_media(sid, fmt="mp3")
    assert mp3.content_type == "audio/mpeg" and b"".join(mp3.chunks)[:2] == b"\xff\xf3"
    with pytest.raises(PermanentGatewayError) as info:
        gateway.fetch_recording_media("RE" + "0" * 32)
    assert (info.value.status, info.value.code) == (404, 20404)
    with pytest.raises(PermanentGatewayError):
        gateway.fetch_recording_media("https://example.com/not-a-recording")
    wrong = TelephonyGateway(
        gateway.settings.with_overrides(twilio_auth_token="wrong-token-000000")
    )
    with pytest.raises(PermanentGatewayError) as info:
        wrong.fetch_recording_media(sid)
    assert (info.value.status, info.value.code) == (401, 20003)


def test_gateway_adds_conference_participants_and_holds_one(standin: StandIn):
    gateway = _gateway(standin)
    legs = {
        who: gateway.add_participant(
            "consult-42",
            to=number,
            from_=OUR_NUMBER,
            label=who,
            status_callback=f"{APP}/leg",
            end_on_exit=(who == "doctor"),
        )
        for who, number in (("patient", PATIENT), ("anm", ANM), ("doctor", DOCTOR))
    }
    standin.advance(15)
    client = _client(standin)
    conference = client.conferences.list(friendly_name="consult-42", status="in-progress")
    assert len(conference) == 1
    participants = client.conferences(conference[0].sid).participants.list()
    assert sorted(p.label for p in participants) == ["anm", "doctor", "patient"]
    gateway.update_participant("consult-42", legs["patient"], hold=True)
    held = client.conferences(conference[0].sid).participants(legs["patient"]).fetch()
    assert held.hold is True
    gateway.hangup(legs["doctor"])
    standin.advance(5)
    assert client.conferences(conference[0].sid).fetch().status == "completed"
    with pytest.raises(PermanentGatewayError) as info:
        gateway.update_participant("consult-42", legs["anm"], muted=True)
    assert info.value.code == 20404


def test_gateway_sends_an_sms_that_reaches_the_phone(standin: StandIn, seen):
    gateway = _gateway(standin)
    sid = gateway.send_sms(
        to=PATIENT, from_=OUR_NUMBER, body="Rx: paracetamol", status_callback=f"{APP}/sms-status"
    )
    standin.run_until_idle()
    assert [m["body"] for m in standin.inbox(PATIENT)] == ["Rx: paracetamol"]
    statuses = [form["MessageStatus"] for name, form in seen if name == "sms-status"]
    assert statuses[-1] == "delivered"
    assert _client(standin).messages(sid).fetch().status == "delivered"


def test_invalid_requests_get_twilios_400_from_the_real_server(standin: StandIn):
    url = f"{standin.base_url}/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    base = {"To": PATIENT, "From": OUR_NUMBER, "Url": f"{APP}/voice"}
    for change, code in (
        ({"Url": "not a url"}, 21205),
        ({"To": None}, 21201),
        ({"StatusCallbackEvent": "bogus"}, 20001),
    ):
        data = {k: v for k, v in {**base, **change}.items() if v is not None}
        response = requests.post(url, data=data, auth=(ACCOUNT, TOKEN), timeout=5)
        assert (response.status_code, response.json()["code"]) == (400, code)
    assert requests.post(url, data=base, auth=(ACCOUNT, "nope"), timeout=5).status_code == 401
    assert len(standin.calls) == 0


def test_control_endpoints_drive_a_phone_by_hand(standin: StandIn, seen):
    control = f"{standin.base_url}/_standin"
    script = {"answer_after": 1, "outcome": "manual"}
    assert requests.put(f"{control}/phones/{DOCTOR}", json=script, timeout=5).ok
    sid = requests.post(
        f"{control}/dial-in", json={"from": PATIENT, "to": OUR_NUMBER}, timeout=5
    ).json()["call_sid"]
    requests.post(f"{control}/clock/advance", json={"seconds": 1}, timeout=5)
    requests.post(f"{control}/calls/{sid}/press", json={"digits": "1"}, timeout=5)
    requests.post(f"{control}/clock/advance", json={"seconds": 5}, timeout=5)
    assert requests.get(f"{control}/calls/{sid}", timeout=5).json()["status"] == "in-progress"
    assert requests.post(f"{control}/calls/{sid}/hangup", timeout=5).ok
    clock = requests.post(f"{control}/clock/run", json={}, timeout=5).json()
    assert clock["virtual"] is True
    assert requests.get(f"{control}/calls/{sid}", timeout=5).json()["status"] == "completed"
    timeline = requests.get(f"{control}/timeline", timeout=5).json()
    assert timeline["next"] == len(timeline["events"]) > 0
    later = requests.get(f"{control}/timeline", params={"since": timeline["next"]}, timeout=5)
    assert later.json()["events"] == []
    assert any(name == "voice" for name, _ in seen)
    faults = requests.put(
        f"{control}/faults/webhooks", json={"drop_rate": 0.5, "seed": 9}, timeout=5
    )
    assert faults.json()["drop_rate"] == 0.5 and standin.faults.drop_rate == 0.5
    bad = requests.put(f"{control}/faults/webhooks", json={"drop_rat": 1}, timeout=5)
    assert bad.status_code == 400
    assert requests.get(f"{control}/calls", timeout=5).json()[0]["sid"] == sid
