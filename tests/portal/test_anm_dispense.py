"""The ANM dispenses, says what is not in stock (the doctor sees both), and has the
prescription read aloud to the patient in front of her (one call per press)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from core import clock as wclock
from core.runtime import Runtime
from models import (
    CallLeg,
    LegRole,
    Prescription,
    PrescriptionDispensing,
    PrescriptionItem,
    SmsMessage,
    Staff,
)
from outbound.sms import SMS_QUEUE
from prescriptions.calls import READOUT_QUEUE, readout_purpose
from sms_templates import render
from tests.portal.anm_seed import ANM, AnmSeeded, seed_anm
from tests.portal.conftest import DOCTOR, PASSWORD, AuthActions, Seeded
from tests.portal.test_anm import audits

MIDDAY = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 12:00 IST: inside the call hours
NIGHT = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # 23:00 IST
ATTEMPT = re.compile(r'name="attempt" value="(\d+)"')


@pytest.fixture
def anm_seeded(runtime: Runtime, seeded: Seeded) -> AnmSeeded:
    return seed_anm(runtime, seeded)


def signed_in(app: Flask, code: str) -> tuple[FlaskClient, AuthActions]:
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(code, PASSWORD)
    return client, auth


def rows(runtime: Runtime) -> list[PrescriptionDispensing]:
    with runtime.db.session() as s:
        return list(s.scalars(select(PrescriptionDispensing).order_by(PrescriptionDispensing.id)))


def test_dispensed_is_recorded_once_and_the_doctor_sees_who_and_when(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    anm, auth = signed_in(app, ANM)
    url = f"/portal/anm/prescriptions/{anm_seeded.rx_code}"
    token = auth.csrf(url)
    for _ in range(2):  # a double tap
        assert anm.post(f"{url}/dispensed", data={"csrf_token": token}).status_code == 302
    (row,) = rows(runtime)
    assert (row.outcome, row.staff_id) == ("dispensed", anm_seeded.base.staff_ids[ANM])
    assert len(audits(runtime, "dispense_prescription")) == 1
    page = anm.get(url).text
    assert "Dispensed by Sunita Devi at" in page and 'id="dispensed"' not in page
    assert anm_seeded.rx_code not in anm.get("/portal/anm").text.split('id="own-today"')[0]
    doctor, _ = signed_in(app, DOCTOR)
    doctors_page = doctor.get(f"/portal/prescriptions/{anm_seeded.rx_code}").text
    assert "Dispensed by Sunita Devi at" in doctors_page


def test_not_in_stock_asks_the_prescribing_doctor_for_an_alternative(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    with runtime.db.session() as s:
        ors = s.scalars(
            select(PrescriptionItem).where(
                PrescriptionItem.prescription_id == anm_seeded.rx_id,
                PrescriptionItem.medicine_code == "ors",
            )
        ).one()
        ors_id, ors_name = ors.id, f"{ors.name} {ors.strength}"
    anm, auth = signed_in(app, ANM)
    url = f"/portal/anm/prescriptions/{anm_seeded.rx_code}"
    token = auth.csrf(url)
    nothing_ticked = anm.post(f"{url}/not-in-stock", data={"csrf_token": token})
    assert nothing_ticked.status_code == 302 and rows(runtime) == []
    form = {"csrf_token": token, "missing": str(ors_id), "note": "back on Monday"}
    for _ in range(2):  # re-sent: recorded once
        anm.post(f"{url}/not-in-stock", data=form)
    (row,) = rows(runtime)
    assert (row.outcome, row.missing, row.note) == ("not_in_stock", [ors_name], "back on Monday")
    (event,) = audits(runtime, "prescription_not_in_stock")
    assert event.detail["missing"] == [ors_name]
    home = anm.get("/portal/anm").text
    assert f"Not in stock: {ors_name}" in home  # still to dispense, waiting for the doctor
    doctor, _ = signed_in(app, DOCTOR)
    start = doctor.get("/portal/consultations").text
    assert f"Not in stock: {ors_name}" in start and anm_seeded.rx_code in start
    page = doctor.get(f"/portal/prescriptions/{anm_seeded.rx_code}").text
    assert f"Not in stock: {ors_name}" in page and "(back on Monday)" in page
    assert f"/portal/prescriptions/{anm_seeded.rx_code}/correct" in page
    other_doctor, _ = signed_in(app, "DR-GM-2")  # not her prescription: no alert
    assert "Not in stock" not in other_doctor.get("/portal/consultations").text
    anm.post(f"{url}/dispensed", data={"csrf_token": token})  # it came after all
    assert "Not in stock" not in doctor.get("/portal/consultations").text


def _press(client: FlaskClient, auth: AuthActions, code: str, times: int = 1) -> int:
    """Open the prescription page and press read-aloud ``times`` times with that form."""
    url = f"/portal/anm/prescriptions/{code}"
    page = client.get(url).text
    match = ATTEMPT.search(page)
    assert match, "no read-aloud button"
    token = auth.csrf(url)
    for _ in range(times):
        response = client.post(
            f"{url}/read-aloud", data={"csrf_token": token, "attempt": match.group(1)}
        )
        assert response.status_code == 302
    return int(match.group(1))


def test_read_aloud_queues_one_call_per_press_even_when_posted_twice(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    anm, auth = signed_in(app, ANM)
    queue = runtime.queue(READOUT_QUEUE)
    with wclock.use_clock(wclock.ManualClock(MIDDAY)):
        first = _press(anm, auth, anm_seeded.rx_code, times=2)
        assert first == 2  # attempt 1 is the SMS fallback's
        assert queue.count == 1
        [job] = queue.jobs
        assert job.args == (anm_seeded.rx_id, first)
        again = _press(anm, auth, anm_seeded.rx_code)  # the call not placed yet: same press
        assert again == first and queue.count == 1
        with runtime.db.session() as s:  # the worker placed the call (its leg)
            s.add(
                CallLeg(
                    consultation_id=anm_seeded.base.consultation_id,
                    purpose=readout_purpose(anm_seeded.rx_code, first),
                    role=LegRole.READOUT,
                    from_number="+916456220001",
                    to_number="+919990300001",
                    status="completed",
                )
            )
        second = _press(anm, auth, anm_seeded.rx_code, times=2)
    assert second == first + 1
    assert queue.count == 2
    assert [(a.actor, a.detail["attempt"]) for a in audits(runtime, "read_aloud_requested")] == [
        (ANM, first),
        (ANM, second),
    ]


def test_read_aloud_outside_the_call_hours_waits_for_them(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    anm, auth = signed_in(app, ANM)
    queue = runtime.queue(READOUT_QUEUE)
    with wclock.use_clock(wclock.ManualClock(NIGHT)):
        _press(anm, auth, anm_seeded.rx_code, times=2)
        page = anm.get(f"/portal/anm/prescriptions/{anm_seeded.rx_code}").text
    assert queue.count == 0 and queue.scheduled_job_registry.count == 1
    assert "the call waits until" in page and "A call is on its way." in page


def doctor_texts(runtime: Runtime) -> list[SmsMessage]:
    """The not-in-stock SMS written so far."""
    with runtime.db.session() as s:
        query = select(SmsMessage).where(SmsMessage.purpose == "doctor_rx_not_in_stock")
        return list(s.scalars(query.order_by(SmsMessage.id)))


def test_not_in_stock_texts_the_prescribing_doctor_once_with_the_correct_link(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    with runtime.db.session() as s:
        rx = s.get(Prescription, anm_seeded.rx_id)
        assert rx is not None
        items = sorted(rx.items, key=lambda i: i.id)
        ids = [str(i.id) for i in items]
        doctor = s.get(Staff, anm_seeded.base.staff_ids[DOCTOR])
        anm_row = s.get(Staff, anm_seeded.base.staff_ids[ANM])
        assert doctor is not None and anm_row is not None and rx.consultation.spoke is not None
        language = doctor.languages[0] if doctor.languages else "en"
        link = f"{runtime.settings.public_base_url}/portal/prescriptions/{rx.code}/correct"
        expected = render(
            "doctor_rx_not_in_stock",
            language,
            code=rx.code,
            reference=anm_seeded.base.reference,
            hwc_name=rx.consultation.spoke.name,
            anm_name=anm_row.name,
            medicines=items,
            notes="back on Monday",
            link=link,
        )
        doctor_mobile = doctor.mobile
    sms_queue = runtime.queue(SMS_QUEUE)
    jobs_before = sms_queue.count
    anm, auth = signed_in(app, ANM)
    url = f"/portal/anm/prescriptions/{anm_seeded.rx_code}"
    form = {"csrf_token": auth.csrf(url), "missing": ids, "note": "back on Monday"}
    for _ in range(2):  # a double-posted form
        assert anm.post(f"{url}/not-in-stock", data=form).status_code == 302
    (row,) = rows(runtime)
    (sms,) = doctor_texts(runtime)
    assert (sms.to_number, sms.prescription_id) == (doctor_mobile, anm_seeded.rx_id)
    assert sms.idempotency_key == f"dispensing:{row.id}:doctor_rx_not_in_stock"
    assert sms.body == expected.body and sms.dlt_template_id == expected.dlt_template_id
    assert sms.body.endswith(link) and "Sunita Devi" in sms.body
    assert all(f"{n}.{i.name}" in sms.body for n, i in enumerate(items, start=1))
    assert sms_queue.count == jobs_before + 1  # sent after the commit, once
    assert any(job.args == (sms.id,) for job in sms_queue.jobs)
    doctor_client, _ = signed_in(app, DOCTOR)
    start = doctor_client.get("/portal/consultations").text
    assert "Not in stock: " in start and anm_seeded.rx_code in start  # the alert still shows
    form["missing"] = ids[:1]  # another report: another row, another SMS
    anm.post(f"{url}/not-in-stock", data=form)
    assert len(rows(runtime)) == 2 and len(doctor_texts(runtime)) == 2


def test_read_aloud_with_the_queue_down_says_so_and_a_later_press_works(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    anm, auth = signed_in(app, ANM)
    queue = runtime.queue(READOUT_QUEUE)
    url = f"/portal/anm/prescriptions/{anm_seeded.rx_code}"
    with wclock.use_clock(wclock.ManualClock(MIDDAY)):
        with patch("portal.anm_readaloud.schedule_readout", side_effect=RedisConnectionError):
            _press(anm, auth, anm_seeded.rx_code)
            page = anm.get(url).text
        assert "could not be started just now" in page  # a clear answer, no stack trace
        assert queue.count == 0 and not audits(runtime, "read_aloud_requested")
        assert _press(anm, auth, anm_seeded.rx_code) == 2  # the same press, now queued
    assert queue.count == 1
