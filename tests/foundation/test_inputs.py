"""Inputs that must not become a 500 or an apology: ids past PostgreSQL's integer in any
URL (404), control characters in any webhook parameter (valid TwiML, never stored raw)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule

from core.inputs import DBID_MAX, clean_text, parse_dbid
from core.runtime import Runtime
from models import CallLeg, Consultation, IvrSession, LegRole, SmsMessage
from tests.builders import build_mini_district, intake_done
from tests.ivr.caller import Caller
from tests.ivr.signing import PUBLIC_BASE, signature, signed_post

HOST = PUBLIC_BASE.split("://", 1)[1]
CALL_SID = "CA" + "7" * 32
#: Every control character XML 1.0 cannot carry, PostgreSQL's NUL, C1 and DEL.
NASTY = "\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\x85\ufffe"


def _id_rules(app: Flask) -> list[Rule]:
    """Every route whose URL holds a number (new routes are covered as they come)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]


def _webhook_rules(app: Flask) -> list[Rule]:
    """Every route whose view Twilio calls (``telephony.webhooks.twilio_webhook``)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "twilio_webhook", False)
    ]


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


@pytest.mark.parametrize("big", [2**31, 2**63, 10**30])
def test_every_id_past_the_databases_integer_is_not_found(
    app: Flask, client: FlaskClient, big: int
) -> None:
    rules = _id_rules(app)
    assert len(rules) >= 10  # workflow legs and consultations, portal, read-aloud
    adapter = app.url_map.bind("sampark.test")
    answers = {}
    for rule in rules:
        for method in _methods(rule):
            path = rule.build({name: big for name in rule.arguments})
            assert path is not None
            url = path[1]
            form = {"CallSid": CALL_SID, "AccountSid": "AC" + "a1" * 16, "CallStatus": "busy"}
            if method == "POST":
                response = signed_post(client, url, form)
            else:
                response = client.open(url, method=method)
            answers[f"{method} {url}"] = response.status_code
            # the largest id that fits is still routed to the view
            adapter.match(rule.build({name: DBID_MAX for name in rule.arguments})[1], method)
    assert set(answers.values()) == {404}, answers


def test_query_string_ids_are_bounded_like_url_ids() -> None:
    assert parse_dbid("42") == 42 and parse_dbid(str(DBID_MAX)) == DBID_MAX
    for raw in (str(2**31), str(2**63), "0", "-1", "1\x00", "٣", "", None):
        assert parse_dbid(raw) is None


def test_cleaning_keeps_text_and_drops_controls() -> None:
    assert clean_text("नमस्ते 1#") == "नमस्ते 1#"
    assert clean_text(f"1{NASTY}2\tthree\r\nfour") == "12\tthree\r\nfour"  # lines kept


@pytest.fixture
def world(runtime: Runtime, client: FlaskClient) -> dict[str, Any]:
    """A call in the intake, and a consultation with a placed leg: real ids for every route."""
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        consultation = intake_done(s, mini.spoke_ids["HWC-001"], 1)
        leg = CallLeg(
            consultation_id=consultation.id,
            purpose=f"c{consultation.id}:anm:1",
            call_sid="CA" + "8" * 32,
            role=LegRole.ANM,
            from_number=mini.spoke_numbers["HWC-001"],
            to_number=next(iter(mini.anms.values())),
            status="in-progress",
        )
        s.add(leg)
        s.flush()
        ids = {"consultation_id": consultation.id, "leg_id": leg.id, "rx_id": 1}
    caller = Caller(client, "+919431012345", mini.spoke_numbers["HWC-001"], call_sid=CALL_SID)
    caller.dial()
    return {"ids": ids, "mini": mini, "caller": caller}


def _nasty_form(world: dict[str, Any]) -> dict[str, str]:
    mini = world["mini"]
    plain = {
        "CallSid": CALL_SID,
        "AccountSid": "AC" + "a1" * 16,
        "From": "+919431012345",
        "To": mini.spoke_numbers["HWC-001"],
        "Direction": "inbound",
        "CallStatus": "completed",
        "CallDuration": "12",
        "Digits": "1",
        "SpeechResult": "bukhar hai",
        "RecordingUrl": "https://api.twilio.com/recordings/RE1",
        "RecordingSid": "RE" + "1" * 32,
        "RecordingStatus": "completed",
        "StatusCallbackEvent": "participant-leave",
        "ParticipantLabel": "patient",
        "ConferenceSid": "CF" + "1" * 32,
        "MessageSid": "SM" + "1" * 32,
        "MessageStatus": "delivered",
        "Body": "RX K7",
        "AnsweredBy": "human",
    }
    return {key: f"{value[:1]}{NASTY}{value[1:]}" for key, value in plain.items()} | {
        f"SipHeader_X{NASTY}": NASTY
    }


def test_control_characters_in_every_webhook_give_valid_twiml_and_no_failure(
    runtime: Runtime,
    app: Flask,
    client: FlaskClient,
    world: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = _webhook_rules(app)
    assert len(rules) >= 12  # ivr (4), workflow legs and conferences (6), sms (2), rx (3)
    form = _nasty_form(world)
    caplog.set_level(logging.ERROR)
    answers = {}
    for rule in rules:
        for method in _methods(rule):
            path = rule.build({name: world["ids"][name] for name in rule.arguments})
            assert path is not None
            ivr = rule.rule.startswith("/ivr/")  # n: the IVR's node, elsewhere a count
            query = {"n": "consent", "l": "hi"} if ivr else {"n": "1", "lang": "hi", "sms": "1"}
            url = f"{path[1]}?{urlencode({k: v + NASTY for k, v in query.items()})}"
            if method == "POST":
                response = signed_post(client, url, form)
            else:
                headers = {"X-Twilio-Signature": signature(PUBLIC_BASE + url, {}), "Host": HOST}
                response = client.open(url, method=method, headers=headers)
            answers[f"{method} {rule.rule}"] = response.status_code
            body = response.get_data(as_text=True)
            assert not any(ch in body for ch in NASTY), (rule.rule, body)
            if body:
                assert ET.fromstring(body).tag == "Response", (rule.rule, body)
    assert set(answers.values()) <= {200, 204}, answers  # 204: a status callback
    assert [r.getMessage() for r in caplog.records] == []  # no webhook failed (no apology)
    with runtime.db.session() as s:
        stored = [
            *s.scalars(select(IvrSession.caller)),
            *s.scalars(select(Consultation.caller_mobile)),
            *s.scalars(select(SmsMessage.body)),
        ]
    assert not any(ch in text for text in stored for ch in NASTY)


def test_a_signature_over_the_raw_parameters_still_verifies(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    """Twilio signs what it sent: cleaning must not break the signature check."""
    form = _nasty_form(world)
    assert signed_post(client, "/ivr/status", form).status_code == 200
    forged = signed_post(client, "/ivr/status", {**form, "Digits": "1"}, token="x" * 26)
    assert forged.status_code == 403
