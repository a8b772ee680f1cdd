"""SMS: status callbacks, inboxes, landlines, inbound messages and replies."""

from __future__ import annotations

import pytest
from flask import Flask

from standin import PhoneScript, StandIn
from standin.errors import TwilioApiError
from tests.standin_engine.conftest import CLINIC, PATIENT
from tests.standin_engine.helpers import seen
from tests.standin_engine.twiml_app import BASE


def send(si: StandIn, to: str = PATIENT, body: str = "Rx: paracetamol 500 mg") -> dict:
    return si.engine.create_message({"To": to, "From": CLINIC, "Body": body,
                                     "StatusCallback": f"{BASE}/sms-status"})  # fmt: skip


def test_sms_is_sent_then_delivered_to_the_phone(si: StandIn, twiml_app: Flask) -> None:
    msg = send(si)
    assert msg["status"] == "queued" and msg["sid"].startswith("SM")
    si.run_until_idle()
    forms = [s["form"] for s in seen(twiml_app, "/sms-status")]
    assert [f["MessageStatus"] for f in forms] == ["sent", "delivered"]
    assert all(s["valid"] for s in seen(twiml_app))
    assert si.inbox(PATIENT)[0]["body"] == "Rx: paracetamol 500 mg"
    assert si.messages[msg["sid"]]["status"] == "delivered"


def test_unicode_body_counts_ucs2_segments(si: StandIn) -> None:
    msg = send(si, body="दवा " * 30)
    assert msg["num_segments"] == "2"


def test_landline_is_refused_with_21614(si: StandIn) -> None:
    with pytest.raises(TwilioApiError) as err:
        send(si, to="+911123456789")
    assert (err.value.status, err.value.code) == (400, 21614)


@pytest.mark.parametrize(("outcome", "status", "code"),
                         [("landline", "undelivered", "30006"), ("undelivered", "undelivered",
                          "30003"), ("failed", "failed", "30008")])  # fmt: skip
def test_failed_delivery_reports_the_error_code(
    si: StandIn, twiml_app: Flask, outcome: str, status: str, code: str
) -> None:
    si.script(PATIENT, PhoneScript(sms_outcome=outcome))  # type: ignore[arg-type]
    msg = send(si)
    si.run_until_idle()
    last = seen(twiml_app, "/sms-status")[-1]["form"]
    assert (last["MessageStatus"], last["ErrorCode"]) == (status, code)
    assert si.messages[msg["sid"]]["error_code"] == int(code)
    assert si.inbox(PATIENT) == []


def test_inbound_sms_reaches_sms_url_and_the_reply_the_phone(si: StandIn, twiml_app: Flask) -> None:
    sid = si.send_sms_from(PATIENT, CLINIC, "VERIFY 1234")
    si.run_until_idle()
    form = seen(twiml_app, "/sms")[0]["form"]
    assert form["MessageSid"] == sid and form["Body"] == "VERIFY 1234" and form["From"] == PATIENT
    assert si.inbox(PATIENT)[0]["body"] == "Got: VERIFY 1234"


def test_messaging_service_message_is_accepted_then_queued(si: StandIn, twiml_app: Flask) -> None:
    service = "MG" + "1" * 32
    params = {"To": PATIENT, "MessagingServiceSid": service, "Body": "hi",
              "StatusCallback": f"{BASE}/sms-status"}  # fmt: skip
    msg = si.engine.create_message(params)
    assert msg["status"] == "accepted" and msg["from"] == CLINIC
    si.run_until_idle()
    statuses = [s["form"]["MessageStatus"] for s in seen(twiml_app, "/sms-status")]
    assert statuses == ["queued", "sent", "delivered"]
    assert seen(twiml_app, "/sms-status")[0]["form"]["MessagingServiceSid"] == "MG" + "1" * 32
