"""POST /sms/status: signed, idempotent, forward-only; undelivered is re-sent once, then
the fallback runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from core.runtime import Runtime
from models import SmsMessage
from outbound.sms import (
    queue_sms,
    register_undeliverable_handler,
    unregister_undeliverable_handler,
)
from tests.builders import MiniDistrict
from tests.sms.conftest import PATIENT, audit, rows, run_worker, signed_post
from tests.sms.samples import SAMPLES

SID = "SM" + "0" * 31 + "1"


def _sent(runtime: Runtime, *, sid: str = SID, key: str = "k1") -> int:
    """A queued SMS that Twilio has accepted (MessageSid stored, status queued)."""
    with runtime.db.session() as session:
        sms = queue_sms(
            session,
            to=PATIENT,
            purpose="could_not_reach",
            language="hi",
            context=SAMPLES["could_not_reach"],
            idempotency_key=key,
        )
        session.flush()
        sms.provider_sid, sms.status = sid, "queued"
        return sms.id


def _status(client: FlaskClient, status: str, sid: str = SID, **extra: str) -> Any:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "a1" * 16,
        "To": PATIENT,
        **extra,
    }
    return signed_post(client, "/sms/status", params)


def _one(runtime: Runtime, sms_id: int) -> SmsMessage:
    return next(r for r in rows(runtime) if r.id == sms_id)


def test_unsigned_or_badly_signed_callbacks_are_refused(
    client: FlaskClient, runtime: Runtime, mini: MiniDistrict
) -> None:
    sms_id = _sent(runtime)
    assert (
        client.post(
            "/sms/status", data={"MessageSid": SID, "MessageStatus": "delivered"}
        ).status_code
        == 403
    )
    bad = signed_post(
        client,
        "/sms/status",
        {"MessageSid": SID, "MessageStatus": "delivered"},
        token="wrong-token",
    )
    assert bad.status_code == 403
    assert _one(runtime, sms_id).status == "queued"


def test_delivered_is_recorded_and_answered_with_empty_twiml(
    client: FlaskClient, runtime: Runtime, mini: MiniDistrict
) -> None:
    sms_id = _sent(runtime)
    for status in ("sent", "delivered"):
        resp = _status(client, status)
        assert resp.status_code == 200
        assert resp.mimetype == "text/xml" and b"<Response />" in resp.data
    sms = _one(runtime, sms_id)
    assert sms.status == "delivered" and sms.delivered_at is not None and sms.sent_at is not None


def test_out_of_order_and_duplicate_callbacks_never_move_backwards(
    client: FlaskClient, runtime: Runtime, mini: MiniDistrict
) -> None:
    sms_id = _sent(runtime)
    for status in ("delivered", "sent", "queued", "delivered", "undelivered", "sending"):
        assert _status(client, status).status_code == 200
    assert _one(runtime, sms_id).status == "delivered"
    assert len(rows(runtime)) == 1  # no re-send for a late "undelivered"


def test_callback_before_the_api_response_finds_its_row_by_the_url(
    client: FlaskClient, runtime: Runtime, mini: MiniDistrict
) -> None:
    with runtime.db.session() as session:
        sms = queue_sms(
            session,
            to=PATIENT,
            purpose="could_not_reach",
            language="hi",
            context=SAMPLES["could_not_reach"],
            idempotency_key="early",
        )
        session.flush()
        sms.status = "submitting"
        sms_id = sms.id
    params = {"MessageSid": SID, "MessageStatus": "sent"}
    assert signed_post(client, f"/sms/status?sms={sms_id}", params).status_code == 200
    sms = _one(runtime, sms_id)
    assert (sms.provider_sid, sms.status) == (SID, "sent")


def test_unknown_message_is_acknowledged(client: FlaskClient, runtime: Runtime) -> None:
    resp = _status(client, "delivered", sid="SM" + "9" * 32)
    assert resp.status_code == 200 and b"<Response />" in resp.data


@pytest.fixture
def fallback_calls() -> Iterator[list[tuple[int, str, str]]]:
    calls: list[tuple[int, str, str]] = []

    def handler(runtime: Runtime, sms: SmsMessage) -> None:
        calls.append((sms.attempt, sms.status, sms.purpose))

    register_undeliverable_handler("could_not_reach", handler)
    yield calls
    unregister_undeliverable_handler("could_not_reach", handler)


def test_undelivered_is_resent_once_then_the_fallback_runs(
    client: FlaskClient, runtime: Runtime, mini: MiniDistrict, fallback_calls: list[Any]
) -> None:
    first = _sent(runtime)
    _status(client, "sent")
    _status(client, "undelivered", ErrorCode="30003")
    _status(client, "undelivered", ErrorCode="30003")  # a duplicate makes no second re-send
    first_row, resend = rows(runtime)
    assert (first_row.id, first_row.status, first_row.error_code) == (first, "undelivered", 30003)
    assert (resend.attempt, resend.status, resend.body) == (2, "pending", first_row.body)
    assert resend.idempotency_key == "k1#r2"
    jobs = runtime.queue("sms").get_jobs()
    assert [(j.func_name, j.args) for j in jobs] == [
        ("outbound.sms_delivery.deliver_pending", (resend.id,))
    ]
    assert fallback_calls == []

    # The re-send is accepted by Twilio, then fails as well.
    runtime.queue("sms").empty()
    second_sid = "SM" + "0" * 31 + "2"
    with runtime.db.session() as session:
        session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == resend.id)
            .values(provider_sid=second_sid, status="queued")
        )
    _status(client, "failed", sid=second_sid, ErrorCode="30008")
    assert len(rows(runtime)) == 2  # no third attempt
    assert run_worker(runtime) == 1  # the fallback job
    assert fallback_calls == [(2, "failed", "could_not_reach")]
    [event] = audit(runtime, "sms.undeliverable")
    assert event.subject_id == resend.id and event.detail["error_code"] == 30008


def test_webhooks_answer_twiml_when_the_database_is_down(runtime: Runtime) -> None:
    from core.db import Database
    from sampark.app import create_app

    down = Runtime(runtime.settings, Database("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    client = create_app(down.settings, runtime=down, TESTING=True).test_client()
    for path, params in [
        ("/sms/status", {"MessageSid": SID, "MessageStatus": "delivered"}),
        (
            "/sms/inbound",
            {"MessageSid": SID, "From": PATIENT, "To": "+916456220001", "Body": "RX ABC234"},
        ),
    ]:
        resp = signed_post(client, path, params)
        assert resp.status_code == 200 and b"<Response />" in resp.data
