"""The REST layer: auth, Twilio's 400s for invalid requests, paging, routing."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.standin_rest.conftest import TOKEN, FakeStandIn
from tests.standin_rest.fake_engine import ACCOUNT

CALL = {
    "To": "+919990000001",
    "From": "+916456222333",
    "Url": "http://app.test/voice",
}


def post(fs: FakeStandIn, suffix: str, data: object, token: str = TOKEN) -> requests.Response:
    return requests.post(fs.url(suffix), data=data, auth=(ACCOUNT, token), timeout=5)


def test_twilio_client_creates_a_call_with_repeated_keys_as_a_list(fake_standin: FakeStandIn):
    call = fake_standin.client().calls.create(
        to="+919990000001",
        from_="+916456222333",
        url="http://app.test/voice",
        status_callback="http://app.test/status",
        status_callback_event=["initiated", "answered"],
        timeout=20,
        record=True,
    )
    assert call.sid.startswith("CA") and call.status == "queued"
    name, (params,) = fake_standin.engine.received[-1]
    assert name == "create_call"
    assert params["StatusCallbackEvent"] == ["initiated", "answered"]
    assert params["Timeout"] == 20 and params["Record"] is True


def test_wrong_token_gets_401_with_twilio_20003(fake_standin: FakeStandIn):
    with pytest.raises(TwilioRestException) as info:
        fake_standin.client(token="wrong").calls.create(
            to="+919990000001", from_="+916456222333", url="http://app.test/voice"
        )
    assert info.value.status == 401 and info.value.code == 20003
    bare = requests.get(fake_standin.url("/Calls.json"), timeout=5)
    assert bare.status_code == 401
    assert bare.json()["code"] == 20003
    assert bare.headers["WWW-Authenticate"].startswith("Basic")


def test_another_accounts_path_is_refused(fake_standin: FakeStandIn):
    other = fake_standin.url("/Calls.json").replace(ACCOUNT, "AC" + "9" * 32)
    assert requests.get(other, auth=(ACCOUNT, TOKEN), timeout=5).status_code == 401


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"Url": "not a url"}, 21205),
        ({"To": None}, 21201),
        ({"From": None}, 21213),
        ({"To": "12345"}, 21211),
        ({"Url": None}, 21205),
        ({"StatusCallbackEvent": ["answered", "bogus"]}, 20001),
        ({"StatusCallback": "ftp://x"}, 21205),
        ({"Timeout": "soon"}, 20001),
        ({"Method": "PUT"}, 20001),
        ({"Record": "maybe"}, 20001),
    ],
)
def test_invalid_call_gets_twilios_400(fake_standin: FakeStandIn, change: dict, code: int):
    data = {k: v for k, v in {**CALL, **change}.items() if v is not None}
    response = post(fake_standin, "/Calls.json", data)
    assert response.status_code == 400
    body = response.json()
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }
    assert fake_standin.engine.calls == {}


def test_twiml_instead_of_url_is_accepted(fake_standin: FakeStandIn):
    data = {**CALL, "Twiml": "<Response><Hangup/></Response>"}
    del data["Url"]
    assert post(fake_standin, "/Calls.json", data).status_code == 201


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"To": "+919990000001", "From": "SAMPRK"}, 21602),
        ({"To": "+919990000001", "Body": "hi"}, 21603),
        ({"From": "SAMPRK", "Body": "hi"}, 21604),
        ({"To": "SAMPRK", "From": "SAMPRK", "Body": "hi"}, 21211),
        ({"To": "+919990000001", "From": "SAMPRK", "Body": "x", "StatusCallback": "no"}, 21609),
    ],
)
def test_invalid_message_gets_twilios_400(fake_standin: FakeStandIn, data: dict, code: int):
    response = post(fake_standin, "/Messages.json", data)
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_message_from_a_sender_id_or_a_service(fake_standin: FakeStandIn):
    client = fake_standin.client()
    assert client.messages.create(to="+919990000001", from_="SAMPRK", body="hi").sid
    service = "MG" + "3" * 32
    assert client.messages.create(to="+919990000001", messaging_service_sid=service, body="x")


def test_participant_enums_from_the_descriptions(fake_standin: FakeStandIn):
    conference = fake_standin.client().conferences("consult-1")
    made = conference.participants.create(
        from_="+916456222333",
        to="+919990000002",
        beep="onEnter",
        conference_status_callback_event=["start", "end", "join", "leave"],
    )
    assert made.call_sid.startswith("CA")
    for bad in ({"Beep": "loud"}, {"ConferenceStatusCallbackEvent": "begin"}):
        response = post(
            fake_standin,
            "/Conferences/consult-1/Participants.json",
            {"From": "+916456222333", "To": "+919990000002", **bad},
        )
        assert (response.status_code, response.json()["code"]) == (400, 20001)


def test_update_participant_needs_a_conference_sid(fake_standin: FakeStandIn):
    # Twilio's description allows a friendly name only when creating a participant.
    response = post(fake_standin, f"/Conferences/consult-1/Participants/CA{'1' * 32}.json", {})
    assert (response.status_code, response.json()["code"]) == (404, 20404)


def test_unknown_resource_and_method(fake_standin: FakeStandIn):
    client = fake_standin.client()
    with pytest.raises(TwilioRestException) as info:
        client.calls("CA" + "f" * 32).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)
    assert (
        requests.get(fake_standin.url("/Calls/CAnope.json"), auth=(ACCOUNT, TOKEN)).status_code
        == 404
    )
    deleted = requests.delete(fake_standin.url(f"/Calls/CA{'1' * 32}.json"), auth=(ACCOUNT, TOKEN))
    assert (deleted.status_code, deleted.json()["code"]) == (405, 20004)
    assert (
        requests.get(fake_standin.base_url + "/nowhere", auth=(ACCOUNT, TOKEN)).status_code == 404
    )


def test_engine_errors_come_back_as_twilio_errors(fake_standin: FakeStandIn):
    client = fake_standin.client()
    call = client.calls.create(to="+919990000001", from_="+916456222333", url="http://a.test/")
    client.calls(call.sid).update(status="completed")
    with pytest.raises(TwilioRestException) as info:
        client.calls(call.sid).update(url="http://a.test/next")
    assert (info.value.status, info.value.code) == (400, 21220)


def test_lists_page_like_twilio(fake_standin: FakeStandIn):
    client = fake_standin.client()
    for n in range(5):
        client.calls.create(to=f"+91999000000{n}", from_="+916456222333", url="http://a.test/")
    assert len(client.calls.list(page_size=2)) == 5
    page = requests.get(
        fake_standin.url("/Calls.json"), params={"PageSize": 2}, auth=(ACCOUNT, TOKEN)
    ).json()
    assert len(page["calls"]) == 2 and page["page"] == 0 and page["page_size"] == 2
    assert page["next_page_uri"].endswith("PageSize=2&Page=1&PageToken=PA1")
    assert page["previous_page_uri"] is None
    assert page["uri"].startswith(f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json")
    filtered = client.calls.list(to="+919990000003")
    assert [c.to for c in filtered] == ["+919990000003"]
    assert ("list_calls", ({"To": "+919990000003"},)) in fake_standin.engine.received


def test_the_openapi_core_mode_gives_the_same_answers():
    from standin.rest import RestServer, make_rest_app
    from tests.standin_rest.fake_engine import FakeEngine

    engine = FakeEngine()
    server = RestServer(make_rest_app(engine, ACCOUNT, TOKEN, validator="openapi-core"))
    url = server.start() + f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    try:
        for change, expected in (
            ({}, (201, None)),
            ({"Url": "not a url"}, (400, 21205)),
            ({"StatusCallbackEvent": "bogus"}, (400, 20001)),
            ({"To": None}, (400, 21201)),
        ):
            data = {k: v for k, v in {**CALL, **change}.items() if v is not None}
            response = requests.post(url, data=data, auth=(ACCOUNT, TOKEN), timeout=10)
            got = (response.status_code, response.json().get("code"))
            assert got == expected, change
    finally:
        server.stop()
    with pytest.raises(ValueError):
        make_rest_app(engine, ACCOUNT, TOKEN, validator="prism")
