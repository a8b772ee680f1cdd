"""A patient who already has a prescription (stored as the doctor's workspace leaves it)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from models import (
    Consultation,
    ConsultationState,
    Patient,
    Prescription,
    PrescriptionItem,
    Staff,
)
from tests.builders import MiniDistrict

_numbers = itertools.count(1)
#: What the read-aloud says of the medicine (its name, as the formulary writes it).
MEDICINE = "Paracetamol"


def add_prescription(
    s: Session,
    mini: MiniDistrict,
    mobile: str,
    *,
    language: str = "hi",
    superseded: bool = False,
    caller_mobile: str | None = None,
) -> int:
    """A prescribed consultation of the patient on ``mobile``; returns the prescription id.

    Args:
        caller_mobile: who rang for that consultation (default: the patient's mobile).
        superseded: the prescription was replaced by a correction (not current).
    """
    n = next(_numbers)
    patient = s.scalars(
        select(Patient).where(Patient.mobile == mobile, Patient.caregiver_id.is_(None))
    ).first()
    if patient is None:
        patient = Patient(
            mobile=mobile, name="Rukhsana", age_years=34, sex="female", preferred_language=language
        )
        s.add(patient)
        s.flush()
    doctor = s.scalars(select(Staff).where(Staff.code == "DR-GM-1")).one()
    consultation = Consultation(
        reference=f"RX{n:04d}",
        state=ConsultationState.PRESCRIBED,
        spoke_id=mini.spoke_ids["HWC-001"],
        patient_id=patient.id,
        caller_mobile=caller_mobile or mobile,
        language=language,
        consent=True,
        complaint="fever",
        days=2,
        doctor_id=doctor.id,
        created_at=utcnow() - timedelta(days=3),
    )
    s.add(consultation)
    s.flush()
    rx = Prescription(
        code=f"T{n:05d}",
        consultation_id=consultation.id,
        doctor_id=doctor.id,
        doctor_name=doctor.name,
        doctor_qualification="MBBS",
        doctor_registration="BMC-12345",
        hub_name="Sadar Hospital Kishanganj",
        patient_name="Rukhsana",
        patient_age=34,
        patient_sex="female",
        diagnosis="Fever, likely viral",
        tests=[],
        superseded_at=utcnow() if superseded else None,
        items=[
            PrescriptionItem(
                medicine_code="paracetamol_tab",
                name=MEDICINE,
                strength="500 mg",
                form="tablet",
                dose="1 tab",
                frequency="1-0-1",
                duration_days=5,
                drug_list="O",
            )
        ],
    )
    s.add(rx)
    s.flush()
    return rx.id
