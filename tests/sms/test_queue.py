"""queue_sms writes one row per idempotency key, refuses landlines, picks script and sender."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import select, update

from core.runtime import Runtime
from core.timeutil import utcnow
from models import Consultation, Patient, SmsMessage
from outbound.sms import (
    NotAMobileNumber,
    enqueue_delivery,
    queue_sms,
    redrive_pending,
    sender_for,
)
from sms_templates.config import load_config
from tests.builders import MiniDistrict
from tests.sms.conftest import PATIENT, rows
from tests.sms.samples import SAMPLES

CTX = SAMPLES["could_not_reach"]


def _queue(runtime: Runtime, **kw: object) -> SmsMessage:
    args: dict[str, object] = {
        "to": PATIENT,
        "purpose": "could_not_reach",
        "language": "hi",
        "context": CTX,
        "idempotency_key": "k1",
    }
    args.update(kw)
    with runtime.db.session() as session:
        sms = queue_sms(session, **args)  # type: ignore[arg-type]
        session.flush()
        session.expunge(sms)
    return sms


def test_row_is_pending_with_encoding_parts_and_dlt_id(
    runtime: Runtime, mini: MiniDistrict
) -> None:
    sms = _queue(runtime, to="094310 12345")
    assert sms.to_number == PATIENT
    assert (sms.status, sms.attempt, sms.encoding, sms.segments) == ("pending", 1, "UCS-2", 2)
    assert sms.template == "could_not_reach/hi.native.j2"
    assert sms.dlt_template_id == "1107040100000000401"
    assert sms.from_number == mini.district_number  # no consultation: the district line
    assert "06456 220 001" in sms.body


def test_same_key_returns_the_same_row(runtime: Runtime, mini: MiniDistrict) -> None:
    first = _queue(runtime)
    again = _queue(runtime, language="en")
    assert again.id == first.id and again.language == "hi"
    assert len(rows(runtime)) == 1


def test_landlines_and_invalid_numbers_are_refused(runtime: Runtime, mini: MiniDistrict) -> None:
    with pytest.raises(NotAMobileNumber, match="not a mobile"):
        _queue(runtime, to="06456-222333")
    with pytest.raises(NotAMobileNumber, match="12345"):
        _queue(runtime, to="12345")
    assert rows(runtime) == []


def test_script_follows_the_patients_remembered_choice(
    runtime: Runtime, mini: MiniDistrict
) -> None:
    with runtime.db.session() as session:
        session.add(Patient(mobile=PATIENT, preferred_language="ur", sms_script="roman"))
    sms = _queue(runtime, language="ur")
    assert (sms.script, sms.encoding) == ("roman", "GSM-7")
    explicit = _queue(runtime, language="ur", script="native", idempotency_key="k2")
    assert (explicit.script, explicit.encoding) == ("native", "UCS-2")


def test_sender_is_the_consultations_spoke_number(runtime: Runtime, mini: MiniDistrict) -> None:
    with runtime.db.session() as session:
        c = Consultation(
            reference="SMP-T-1", caller_mobile=PATIENT, spoke_id=mini.spoke_ids["HWC-002"]
        )
        session.add(c)
        session.flush()
        cid = c.id
    sms = _queue(runtime, consultation_id=cid)
    assert sms.from_number == mini.spoke_numbers["HWC-002"]
    assert sms.consultation_id == cid


def test_enqueue_puts_the_job_on_the_sms_queue(runtime: Runtime, mini: MiniDistrict) -> None:
    sms = _queue(runtime)
    assert enqueue_delivery(runtime, sms.id) is True
    jobs = runtime.queue("sms").get_jobs()
    assert [(j.func_name, j.args) for j in jobs] == [
        ("outbound.sms_delivery.deliver_pending", (sms.id,))
    ]
    assert jobs[0].retries_left == 3


def test_enqueue_never_raises_when_redis_is_down(runtime: Runtime, mini: MiniDistrict) -> None:
    sms = _queue(runtime)
    down = Runtime(runtime.settings.with_overrides(redis_url="redis://127.0.0.1:1/0"), runtime.db)
    assert enqueue_delivery(down, sms.id) is False
    with runtime.db.session() as session:
        assert session.scalar(select(SmsMessage.status).where(SmsMessage.id == sms.id)) == "pending"


def test_sweeper_redrives_pending_and_stuck_rows(runtime: Runtime, mini: MiniDistrict) -> None:
    fresh = _queue(runtime, idempotency_key="fresh")
    old = _queue(runtime, idempotency_key="old")
    stuck = _queue(runtime, idempotency_key="stuck")
    an_hour_ago = utcnow() - timedelta(hours=1)
    with runtime.db.session() as session:
        session.execute(
            update(SmsMessage)
            .where(SmsMessage.id.in_([old.id, stuck.id]))
            .values(created_at=an_hour_ago)
        )
        session.execute(
            update(SmsMessage).where(SmsMessage.id == stuck.id).values(status="submitting")
        )
    assert redrive_pending(runtime) == 2
    assert sorted(j.args[0] for j in runtime.queue("sms").get_jobs()) == [old.id, stuck.id]
    assert {r.id: r.status for r in rows(runtime)} == {
        fresh.id: "pending",
        old.id: "pending",
        stuck.id: "pending",
    }


def test_sender_is_the_dlt_header_when_talking_to_twilio_itself(runtime: Runtime) -> None:
    real = Runtime(
        runtime.settings.with_overrides(twilio_api_base_url="https://api.twilio.com"), runtime.db
    )
    assert sender_for(real, "+916456220001") == "SMPARK"
    assert sender_for(runtime, "+916456220001") == "+916456220001"  # the local stand-in
    assert sender_for(runtime, None) == "SMPARK"


def test_sender_is_the_configured_outbound_number_when_set(runtime: Runtime) -> None:
    """OUTBOUND_CALLER_ID: an international long code, the one sender Twilio takes for India."""
    for api in ("https://api.twilio.com", runtime.settings.twilio_api_base_url):
        configured = Runtime(
            runtime.settings.with_overrides(
                twilio_api_base_url=api, outbound_caller_id="+14155550142"
            ),
            runtime.db,
        )
        assert sender_for(configured, "+916456220001") == "+14155550142"
        assert sender_for(configured, None) == "+14155550142"
    cfg = replace(load_config(), sender="header")  # a domestic DLT route: the header, always
    with patch("outbound.sms_delivery.load_config", return_value=cfg):
        assert sender_for(configured, "+916456220001") == "SMPARK"
