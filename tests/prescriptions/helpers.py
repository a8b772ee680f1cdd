"""Shared set-up for the prescription tests: a consultation waiting for its prescription."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Consultation, ConsultationState, Patient, Staff
from prescriptions.draft import DraftItem, PrescriptionDraft
from tests.builders import MiniDistrict, build_mini_district

PATIENT_MOBILE = "+919990300001"
_refs = itertools.count(1)


@dataclass
class Setting:
    mini: MiniDistrict
    consultation_id: int
    doctor_id: int
    anm_id: int
    patient_id: int


def staff_id(session: Session, code: str) -> int:
    return session.scalars(select(Staff.id).where(Staff.code == code)).one()


def add_consultation(
    session: Session,
    mini: MiniDistrict,
    *,
    patient: Patient,
    doctor_code: str = "DR-GM-1",
    state: ConsultationState = ConsultationState.AWAITING_PRESCRIPTION,
    follow_up_of_id: int | None = None,
    language: str = "hi",
) -> Consultation:
    consultation = Consultation(
        reference=f"KSG-{next(_refs):05d}",
        state=state,
        spoke_id=mini.spoke_ids["HWC-001"],
        patient_id=patient.id,
        caller_mobile=patient.mobile,
        language=language,
        consent=True,
        complaint="fever",
        days=2,
        specialty="general_medicine",
        anm_id=staff_id(session, "ANM-001"),
        doctor_id=staff_id(session, doctor_code),
        follow_up_of_id=follow_up_of_id,
    )
    session.add(consultation)
    session.flush()
    return consultation


def build_setting(
    session: Session,
    *,
    name: str | None = "Rukhsana Begum",
    age: int | None = 34,
    sex: str | None = "female",
    language: str = "hi",
    sms_script: str | None = None,
) -> Setting:
    mini = build_mini_district(session)
    patient = Patient(
        mobile=PATIENT_MOBILE,
        name=name,
        age_years=age,
        sex=sex,
        village="Belwa",
        preferred_language=language,
        sms_script=sms_script,
    )
    session.add(patient)
    session.flush()
    consultation = add_consultation(session, mini, patient=patient, language=language)
    return Setting(
        mini,
        consultation.id,
        consultation.doctor_id or 0,
        consultation.anm_id or 0,
        patient.id,
    )


def fever_draft(**changes: object) -> PrescriptionDraft:
    draft = PrescriptionDraft(
        diagnosis="Fever, likely viral (provisional)",
        items=[
            DraftItem("paracetamol_tab", "500 mg", "1 tab", "1-0-1", 5, "After food"),
            DraftItem("ors", frequency="SOS", duration_days=3),
        ],
        advice="Drink plenty of water; sponge if the fever is high.",
        tests=["Malaria RDT"],
    )
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


PUBLIC_BASE = "http://sampark.test"


def signed_post(client, path_or_url: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
    """POST ``params`` signed for the public URL, as Twilio does."""
    from urllib.parse import urlsplit

    from twilio.request_validator import RequestValidator

    from tests.conftest import TEST_AUTH_TOKEN

    url = path_or_url if "://" in path_or_url else PUBLIC_BASE + path_or_url
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, params)
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": signature, "Host": parts.netloc}
    )
