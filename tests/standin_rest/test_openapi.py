"""The validator follows Twilio's OpenAPI description; openapi-core agrees with it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from standin.errors import TwilioApiError
from standin.openapi import (
    VENDORED_SPEC,
    TwilioSpec,
    compiled,
    load_spec,
    openapi_core_validator,
)

AC = "AC" + "a" * 32
CALLS = f"/2010-04-01/Accounts/{AC}/Calls.json"
MESSAGES = f"/2010-04-01/Accounts/{AC}/Messages.json"
PARTICIPANTS = f"/2010-04-01/Accounts/{AC}/Conferences/room-7/Participants.json"
CALL = [("To", "+919990000001"), ("From", "+916456222333"), ("Url", "https://app.test/v")]

#: (path, form items, valid?) — valid and invalid requests both validators must judge alike.
CORPUS = [
    (CALLS, CALL, True),
    (CALLS, [*CALL, ("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "answered")], True),
    (CALLS, [*CALL, ("Timeout", "30"), ("Record", "true"), ("MachineDetection", "Enable")], True),
    (CALLS, [*CALL[:2], ("Twiml", "<Response/>")], True),
    (CALLS, CALL[1:], False),
    (CALLS, [*CALL[:2], ("Url", "not a url")], False),
    (CALLS, [*CALL, ("StatusCallbackEvent", "bogus")], False),
    (CALLS, [*CALL, ("Timeout", "abc")], False),
    (CALLS, [*CALL, ("Method", "PATCH")], False),
    (CALLS, CALL[:2], False),
    (MESSAGES, [("To", "+919990000001"), ("From", "+916456222333"), ("Body", "hi")], True),
    (MESSAGES, [("To", "+919990000001"), ("From", "+916456222333")], False),
    (MESSAGES, [("To", "+919990000001"), ("Body", "hi")], False),
    (MESSAGES, [("From", "+916456222333"), ("Body", "hi")], False),
    (PARTICIPANTS, [("To", "+919990000001"), ("From", "+916456222333"), ("Beep", "onExit")], True),
    (PARTICIPANTS, [("To", "+919990000001"), ("From", "+916456222333"), ("Beep", "yes")], False),
    (PARTICIPANTS, [("To", "+919990000001"), ("From", "+916456222333"), ("Muted", "1x")], False),
]


def _request(path: str, items: list[tuple[str, str]]) -> Request:
    environ = EnvironBuilder(
        method="POST",
        base_url="http://127.0.0.1:5999",
        path=path,
        data=MultiDict(items),
        headers={"Authorization": "Basic eDp5"},
        content_type="application/x-www-form-urlencoded",
    ).get_environ()
    return Request(environ)


def _compiled_ok(path: str, items: list[tuple[str, str]]) -> bool:
    spec = compiled()
    op, params, _ = spec.match("POST", path)
    assert op is not None
    form: dict[str, list[str]] = {}
    for k, v in items:
        form.setdefault(k, []).append(v)
    try:
        spec.validate(op, params, {}, form, path)
    except TwilioApiError:
        return False
    return True


@pytest.mark.parametrize(("path", "items", "valid"), CORPUS)
def test_compiled_validator_and_openapi_core_agree(path, items, valid):
    op, _, _ = compiled().match("POST", path)
    assert op is not None
    core_ok = not openapi_core_validator().problems(_request(path, items), op.operation_id)
    assert _compiled_ok(path, items) is valid
    assert core_ok is valid


def test_every_served_operation_comes_from_the_description():
    spec = load_spec()
    ids = {op.operation_id for op in TwilioSpec(spec).operations}
    assert {"CreateCall", "UpdateCall", "CreateParticipant", "UpdateParticipant"} <= ids
    assert {"CreateMessage", "FetchRecording", "UpdateIncomingPhoneNumber"} <= ids
    create_call = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]["post"]
    form = create_call["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["StatusCallbackEvent"]["items"]["enum"] == [
        "initiated",
        "ringing",
        "answered",
        "completed",
    ]


def test_vendored_description_is_twilios_file():
    shared = Path(__file__).resolve().parents[2].parent / "shared/twilio/twilio_api_v2010.json"
    if not shared.exists():
        pytest.skip("../shared is not beside this clone")
    digest = hashlib.sha256
    assert digest(VENDORED_SPEC.read_bytes()).digest() == digest(shared.read_bytes()).digest()


def test_description_path_from_the_environment(monkeypatch, tmp_path):
    copy = tmp_path / "spec.json"
    copy.write_bytes(VENDORED_SPEC.read_bytes())
    monkeypatch.setenv("SAMPARK_TWILIO_OPENAPI", str(copy))
    from standin.openapi import spec_path

    assert spec_path() == copy
    assert len(compiled(str(copy)).operations) == len(compiled().operations)
