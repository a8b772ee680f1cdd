"""Delivery end to end: an RQ worker (in-process, burst, real Redis) sends through the
gateway to the local Twilio stand-in, whose status callbacks reach the app signed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from rq.job import Job

from core.runtime import Runtime
from models import SmsMessage
from outbound.sms import (
    SMS_QUEUE,
    enqueue_delivery,
    queue_sms,
    register_undeliverable_handler,
    unregister_undeliverable_handler,
)
from standin import PhoneScript
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.sms.conftest import PATIENT, PHARMACIST, Line, audit, rows, run_worker
from tests.sms.samples import RX


def _queue(rt: Runtime, key: str = "rx:RX7K2P:patient", **kw: Any) -> int:
    args: dict[str, Any] = {
        "to": PATIENT,
        "purpose": "prescription_patient",
        "language": "hi",
        "context": RX,
        "idempotency_key": key,
    }
    args.update(kw)
    with rt.db.session() as session:
        sms = queue_sms(session, **args)
        session.flush()
        sms_id = sms.id
    assert enqueue_delivery(rt, sms_id)
    return sms_id


def _row(rt: Runtime, sms_id: int) -> SmsMessage:
    return next(r for r in rows(rt) if r.id == sms_id)


def test_prescription_sms_is_delivered_and_tracked(line: Line) -> None:
    rt, si = line.runtime, line.standin
    sms_id = _queue(rt)
    assert run_worker(rt) == 1
    sent = _row(rt, sms_id)
    assert sent.status == "queued" and sent.provider_sid.startswith("SM")
    twilio_view = si.messages[sent.provider_sid]
    assert twilio_view["body"] == sent.body and twilio_view["from"] == sent.from_number
    si.run_until_idle()
    done = _row(rt, sms_id)
    assert done.status == "delivered" and done.delivered_at is not None
    assert [m["body"] for m in si.inbox(PATIENT)] == [sent.body]
    callbacks = si.webhooks("message-status")
    assert {c.get("status") for c in callbacks} == {200}, callbacks


def test_undelivered_is_resent_once_then_the_fallback_runs(line: Line) -> None:
    rt, si = line.runtime, line.standin
    si.script(PATIENT, PhoneScript(sms_outcome="undelivered"))
    fallbacks: list[tuple[int, str]] = []

    def read_aloud(runtime: Runtime, sms: SmsMessage) -> None:
        fallbacks.append((sms.attempt, sms.status))

    register_undeliverable_handler("prescription_patient", read_aloud)
    try:
        _queue(rt)
        run_worker(rt)
        si.run_until_idle()  # sent, then undelivered: the re-send is queued
        run_worker(rt)
        si.run_until_idle()  # the re-send is undelivered too: the fallback is queued
        assert fallbacks == []
        run_worker(rt)
    finally:
        unregister_undeliverable_handler("prescription_patient", read_aloud)
    first, second = rows(rt)
    assert (first.attempt, first.status, first.error_code) == (1, "undelivered", 30003)
    assert (second.attempt, second.status, second.error_code) == (2, "undelivered", 30003)
    assert fallbacks == [(2, "undelivered")]
    assert len([m for m in si.messages.values() if m["to"] == PATIENT]) == 2
    assert len(audit(rt, "sms.undeliverable")) == 1


@pytest.fixture
def twilio_503_once(line: Line) -> Iterator[None]:
    control = f"{line.standin.base_url}/_standin/faults/rest"
    auth = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    rules = {"rules": [{"endpoint": "messages.create", "sequence": ["503"]}]}
    requests.put(control, json=rules, auth=auth, timeout=5).raise_for_status()
    yield
    requests.delete(control, auth=auth, timeout=5)


def test_a_503_is_retried_by_rq_and_then_sent(line: Line, twilio_503_once: None) -> None:
    rt, si = line.runtime, line.standin
    sms_id = _queue(rt)
    run_worker(rt)
    row = _row(rt, sms_id)
    assert (row.status, row.error_code, row.provider_sid) == ("pending", 20503, None)
    queue = rt.queue(SMS_QUEUE)
    [job_id] = queue.scheduled_job_registry.get_job_ids()  # RQ's retry, 10 s later
    job = Job.fetch(job_id, connection=rt.redis)
    assert job.retries_left == 2
    queue.scheduled_job_registry.remove(job)
    queue.enqueue_job(job)  # what RQ's scheduler does when the interval is over
    run_worker(rt)
    si.run_until_idle()
    assert _row(rt, sms_id).status == "delivered"


def test_refused_number_fails_at_once_and_runs_the_fallback(line: Line) -> None:
    rt = line.runtime
    fallbacks: list[int] = []

    def any_purpose(runtime: Runtime, sms: SmsMessage) -> None:
        fallbacks.append(sms.attempt)

    register_undeliverable_handler("*", any_purpose)
    try:
        with rt.db.session() as session:
            sms = queue_sms(
                session,
                to=PATIENT,
                purpose="could_not_reach",
                language="en",
                context={"callback_number": "+916456220001"},
                idempotency_key="bad-from",
                from_="+911111111111",  # not one of our numbers: Twilio answers 400 21606
            )
            session.flush()
            sms_id = sms.id
        enqueue_delivery(rt, sms_id)
        run_worker(rt)
    finally:
        unregister_undeliverable_handler("*", any_purpose)
    row = _row(rt, sms_id)
    assert (row.status, row.error_code) == ("failed", 21606)
    assert len(rows(rt)) == 1  # a permanent refusal is not re-sent
    assert fallbacks == [1]


def test_rx_query_by_sms_is_answered_through_the_stand_in(
    line: Line, prescriptions: dict[str, int]
) -> None:
    rt, si = line.runtime, line.standin
    spoke_number = next(iter(si.engine.numbers))
    si.send_sms_from(PHARMACIST, spoke_number, "RX rxnew3")
    si.send_sms_from("+919812345678", spoke_number, "RX RXNEW3")
    si.run_until_idle()  # the inbound webhooks queue the replies
    run_worker(rt)
    si.run_until_idle()
    [answer] = si.inbox(PHARMACIST)
    assert "Rx RXNEW3" in answer["body"] and "Status: CURRENT" in answer["body"]
    assert answer["from"] == spoke_number
    [refusal] = si.inbox("+919812345678")
    assert refusal["body"] == "Sampark: yeh seva is number ke liye uplabdh nahin hai."
    assert {r.status for r in rows(rt)} == {"delivered"}
