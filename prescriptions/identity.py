"""Who the prescription is for and who issues it: the checks ``service`` runs first."""

from __future__ import annotations

from dataclasses import dataclass

from models import Consultation, Patient, Staff, StaffRole
from prescriptions.draft import SEXES, PrescriptionDraft


@dataclass(frozen=True)
class PatientIdentity:
    name: str | None
    age: int | None
    sex: str | None


def _intake_value(consultation: Consultation, *questions: str) -> str | None:
    for answer in consultation.answers:
        if answer.question in questions and answer.value:
            return answer.value
    return None


def patient_identity(consultation: Consultation, draft: PrescriptionDraft) -> PatientIdentity:
    """Name, age and sex: what the doctor confirmed, else the registry, else the IVR answers."""
    patient: Patient | None = consultation.patient
    name = (draft.patient_name or "").strip() or (patient.name if patient else None)
    age = draft.patient_age
    if age is None and patient is not None:
        age = patient.age_years
    if age is None:
        raw = _intake_value(consultation, "age", "age_years")
        age = int(raw) if raw and raw.strip().isdigit() else None
    sex = (draft.patient_sex or "").strip().lower() or (patient.sex if patient else None)
    if sex is None:
        sex = (_intake_value(consultation, "sex") or "").lower() or None
    return PatientIdentity(name, age, sex)


def identity_problems(who: PatientIdentity) -> list[str]:
    problems = []
    if not who.name:
        problems.append("The patient's name is not known: ask the ANM and type it in.")
    elif len(who.name) > 80:
        problems.append("The patient's name must be at most 80 characters.")
    if who.age is None:
        problems.append("The patient's age is not known: ask it explicitly before prescribing.")
    elif not 0 <= who.age <= 120:
        problems.append(f"The patient's age {who.age} is not plausible.")
    if who.sex is None:
        problems.append("The patient's sex is not known: ask the ANM.")
    elif who.sex not in SEXES:
        problems.append(f"The patient's sex must be one of {', '.join(SEXES)}.")
    return problems


def doctor_problems(doctor: Staff | None, consultation: Consultation, doctor_id: int) -> list[str]:
    if doctor is None or doctor.role is not StaffRole.DOCTOR or not doctor.active:
        return ["Only an active doctor can issue a prescription."]
    problems = []
    if consultation.doctor_id != doctor_id:
        problems.append("Only the doctor of this consultation can prescribe in it.")
    if not (doctor.qualification or "").strip():
        problems.append("Your qualification is missing from the registry: ask the district admin.")
    if not (doctor.registration_number or "").strip():
        problems.append(
            "Your council registration number is missing from the registry: ask the district admin."
        )
    return problems
