"""Fixtures for the SMS tests: a small district, signed webhooks, an RQ worker, the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import SimpleWorker
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from core.runtime import Runtime, install_process_runtime
from models import AuditEvent, Consultation, Prescription, SmsMessage, Staff, StaffRole
from outbound.sms import SMS_QUEUE
from sampark.app import create_app
from tests.builders import MiniDistrict, build_mini_district
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

PUBLIC = "http://sampark.test"
PATIENT = "+919431012345"
PHARMACIST = "+919990400001"
ISSUED = datetime(2026, 11, 25, 8, 35, tzinfo=UTC)


def signed_post(
    client: FlaskClient, path: str, params: dict[str, str], *, token: str = TEST_AUTH_TOKEN
) -> TestResponse:
    """POST ``params`` to ``path`` signed as Twilio signs ``http://sampark.test<path>``."""
    url = PUBLIC + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(
        path,
        data=params,
        headers={"X-Twilio-Signature": signature, "Host": urlsplit(url).netloc},
    )


def rows(runtime: Runtime) -> list[SmsMessage]:
    with runtime.db.session() as session:
        found = list(session.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        session.expunge_all()
    return found


def audit(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.session() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.expunge_all()
    return found


def run_worker(runtime: Runtime) -> int:
    """Run the SMS queue's jobs in this process until it is empty; returns jobs run."""
    install_process_runtime(runtime)
    queue = runtime.queue(SMS_QUEUE)
    done = 0
    try:
        while queue.count:
            done += queue.count
            SimpleWorker([queue], connection=runtime.redis).work(burst=True)
    finally:
        install_process_runtime(None)
    return done


@pytest.fixture
def mini(runtime: Runtime) -> MiniDistrict:
    with runtime.db.session() as session:
        return build_mini_district(session)


@pytest.fixture
def prescriptions(runtime: Runtime, mini: MiniDistrict) -> dict[str, int]:
    """RXOLD2 (replaced) and RXNEW3 (current), both by Dr. Anil Prasad."""
    with runtime.db.session() as session:
        doctor = session.scalars(select(Staff).where(Staff.code == "DR-GM-1")).one()
        session.add(
            Staff(
                code="PH-1",
                name="Imran Alam",
                role=StaffRole.PHARMACIST,
                mobile=PHARMACIST,
                languages=["en"],
                district_id=mini.district_id,
            )
        )
        session.add(
            Staff(
                code="PH-2",
                name="Left Service",
                role=StaffRole.PHARMACIST,
                mobile="+919990400002",
                languages=["hi"],
                active=False,
                district_id=mini.district_id,
            )
        )
        c = Consultation(
            reference="KSG-00042", caller_mobile=PATIENT, spoke_id=mini.spoke_ids["HWC-001"]
        )
        session.add(c)
        session.flush()
        common = dict(
            consultation_id=c.id,
            doctor_id=doctor.id,
            doctor_name=doctor.name,
            doctor_qualification="MBBS, MD",
            doctor_registration="BMC-40001",
            hub_name="Sadar Hospital Kishanganj",
            patient_name="Sabina Khatun",
            patient_age=34,
            patient_sex="female",
            diagnosis="Acute gastroenteritis",
            tests=[],
            issued_at=ISSUED,
        )
        old = Prescription(code="RXOLD2", version=1, superseded_at=ISSUED, **common)
        session.add(old)
        session.flush()
        new = Prescription(code="RXNEW3", version=2, replaces_id=old.id, **common)
        session.add(new)
        session.flush()
        return {"old": old.id, "new": new.id}


@dataclass
class Line:
    """The app wired to the local Twilio stand-in."""

    standin: Any
    runtime: Runtime
    app: Flask
    mini: MiniDistrict


@pytest.fixture
def line(runtime: Runtime, mini: MiniDistrict) -> Iterator[Line]:
    """A stand-in on a virtual clock whose webhooks reach the app in-process."""
    from standin import StandIn, VirtualClock, WsgiTransport

    holder: dict[str, Flask] = {}

    class _LateApp:
        def __call__(self, environ: Any, start_response: Any) -> Any:
            return holder["app"](environ, start_response)

    si = StandIn(
        TEST_ACCOUNT_SID,
        TEST_AUTH_TOKEN,
        clock=VirtualClock(),
        seed=1,
        transport=WsgiTransport(_LateApp()),
    )
    base = si.start()
    rt = Runtime(settings=runtime.settings.with_overrides(twilio_api_base_url=base), db=runtime.db)
    app = create_app(rt.settings, runtime=rt, TESTING=True)
    holder["app"] = app
    for number in [*mini.spoke_numbers.values(), mini.district_number]:
        si.add_number(number, sms_url=f"{PUBLIC}/sms/inbound")
    try:
        yield Line(si, rt, app, mini)
    finally:
        si.stop()
