"""The prescription's SMS through the stand-in: the patient's and the ANM's copies are
delivered; when the patient's phone cannot take SMS, the re-send fails too and the
configured fallback reads the prescription aloud on a phone call."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core import clock as wclock
from models import CallLeg, LegRole, Patient, Staff
from prescriptions.service import issue_prescription
from standin import PhoneScript
from tests.prescriptions.helpers import add_consultation, fever_draft
from tests.sms.conftest import Line, rows, run_worker

PATIENT = "+919990300001"
DAYTIME = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)  # 11:00 IST, inside the call window


def _issue(line: Line) -> str:
    rt = line.runtime
    mini = line.mini
    with rt.db.session() as session:
        patient = Patient(
            mobile=PATIENT,
            name="Rukhsana Begum",
            age_years=34,
            sex="female",
            village="Belwa",
            preferred_language="hi",
            sms_script="roman",
        )
        session.add(patient)
        session.flush()
        consultation = add_consultation(session, mini, patient=patient)
        rx = issue_prescription(
            session,
            consultation_id=consultation.id,
            doctor_id=consultation.doctor_id or 0,
            draft=fever_draft(),
            runtime=rt,
        )
        return rx.code


def test_patient_and_anm_copies_are_delivered(line: Line) -> None:
    code = _issue(line)
    run_worker(line.runtime)
    line.standin.run_until_idle()
    patient_sms, anm_sms = rows(line.runtime)
    assert (patient_sms.purpose, patient_sms.status, patient_sms.script) == (
        "prescription_patient",
        "delivered",
        "roman",
    )
    assert (anm_sms.purpose, anm_sms.status) == ("prescription_anm", "delivered")
    [received] = line.standin.inbox(PATIENT)
    assert (
        received["body"].startswith(f"Parcha {code}")
        and "1.Paracetamol 500mg 1-0-1 x5d" in (received["body"])
    )
    with line.runtime.db.session() as session:
        anm_mobile = session.scalar(select(Staff.mobile).where(Staff.code == "ANM-001"))
    assert [m["body"] for m in line.standin.inbox(anm_mobile)] == [anm_sms.body]


def test_undeliverable_prescription_is_read_aloud(line: Line) -> None:
    line.standin.script(PATIENT, PhoneScript(sms_outcome="undelivered", answer_after=2.0))
    code = _issue(line)
    with wclock.use_clock(wclock.ManualClock(DAYTIME)):  # the call window is open
        for _ in range(3):  # send; re-send; fallback
            run_worker(line.runtime)
            line.standin.run_until_idle()
    patient_rows = [r for r in rows(line.runtime) if r.purpose == "prescription_patient"]
    assert [(r.attempt, r.status) for r in patient_rows] == [(1, "undelivered"), (2, "undelivered")]
    with line.runtime.db.session() as session:
        legs = list(session.scalars(select(CallLeg).where(CallLeg.role == LegRole.READOUT)))
        assert [(leg.purpose, leg.to_number) for leg in legs] == [(f"rx:{code}:readout:1", PATIENT)]
        assert legs[0].call_sid is not None
    assert line.standin.calls_to(PATIENT), "the stand-in never rang the patient"
