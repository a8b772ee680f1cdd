"""Issuing a prescription: checks, TPG fields, immutability and corrections."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from core.runtime import Runtime
from core.timeutil import to_ist, utcnow
from models import (
    AuditEvent,
    Consultation,
    ConsultationState,
    IntakeAnswer,
    Patient,
    Prescription,
    PrescriptionItem,
)
from prescriptions.codes import ALPHABET
from prescriptions.draft import DraftItem
from prescriptions.guard import ImmutablePrescription
from prescriptions.service import PrescriptionRejected, issue_prescription
from tests.prescriptions.helpers import add_consultation, build_setting, fever_draft, staff_id


def _issue(runtime: Runtime, **kw):  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        setting = build_setting(s)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=kw.pop("draft", fever_draft()),
            **kw,
        )
        return setting, rx.id, rx.code


def test_an_issued_prescription_carries_every_tpg_field(runtime: Runtime) -> None:
    setting, rx_id, code = _issue(runtime)
    with runtime.db.session() as s:
        rx = s.get(Prescription, rx_id)
        assert rx is not None
        assert len(code) == 6 and set(code) <= set(ALPHABET)
        assert (rx.doctor_name, rx.doctor_qualification, rx.doctor_registration) == (
            "Dr. Anil Prasad",
            "MBBS, MD",
            "BMC-40001",
        )
        assert rx.hub_name == "Sadar Hospital Kishanganj"
        assert (rx.patient_name, rx.patient_age, rx.patient_sex) == ("Rukhsana Begum", 34, "female")
        assert to_ist(rx.issued_at).date() == to_ist(utcnow()).date()
        assert rx.consultation.reference.startswith("KSG-")
        assert rx.diagnosis == "Fever, likely viral (provisional)"
        assert rx.version == 1 and rx.is_current and rx.mode == "audio_anm_first"
        para, ors = rx.items
        assert (para.name, para.strength, para.form, para.dose, para.frequency) == (
            "Paracetamol",
            "500 mg",
            "tablet",
            "1 tab",
            "1-0-1",
        )
        assert (para.duration_days, para.instructions, para.drug_list) == (5, "After food", "O")
        assert (ors.strength, ors.dose, ors.frequency, ors.duration_days) == (
            "20.5 g",
            "1 sachet",
            "SOS",
            3,
        )
        consultation = s.get(Consultation, setting.consultation_id)
        assert consultation is not None
        assert consultation.state is ConsultationState.PRESCRIBED
        assert consultation.transitions[-1].reason == "prescription-issued"
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == rx_id)).all()
        assert actions == ["prescription.issued"]


def test_an_issued_prescription_cannot_be_changed(runtime: Runtime) -> None:
    _, rx_id, _ = _issue(runtime)
    with pytest.raises(ImmutablePrescription), runtime.db.session() as s:
        rx = s.get(Prescription, rx_id)
        assert rx is not None
        rx.diagnosis = "Something else"
    with pytest.raises(ImmutablePrescription), runtime.db.session() as s:
        item = s.scalars(
            select(PrescriptionItem).where(PrescriptionItem.prescription_id == rx_id)
        ).first()
        assert item is not None
        item.duration_days = 30
    with pytest.raises(ImmutablePrescription), runtime.db.session() as s:
        rx = s.get(Prescription, rx_id)
        assert rx is not None
        rx.items.append(
            PrescriptionItem(
                medicine_code="zinc",
                name="Zinc",
                strength="20 mg",
                form="tablet",
                dose="1 tab",
                frequency="1-0-0",
                duration_days=14,
                drug_list="O",
            )
        )
    with pytest.raises(ImmutablePrescription), runtime.db.session() as s:
        s.delete(s.get(Prescription, rx_id))
    with pytest.raises(ImmutablePrescription), runtime.db.session() as s:
        s.execute(update(Prescription).where(Prescription.id == rx_id).values(diagnosis="x"))
    with runtime.db.session() as s:
        rx = s.get(Prescription, rx_id)
        assert rx is not None and rx.diagnosis.startswith("Fever") and len(rx.items) == 2


def test_a_correction_is_version_two_and_supersedes_version_one(runtime: Runtime) -> None:
    setting, first_id, first_code = _issue(runtime)
    draft = fever_draft(items=[DraftItem("paracetamol_tab", "650 mg", "1 tab", "1-1-1", 3)])
    with runtime.db.session() as s:
        second = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=draft,
            replaces_code=first_code.lower(),
            correction_reason="Wrong strength",
        )
        second_id = second.id
    with runtime.db.session() as s:
        first = s.get(Prescription, first_id)
        second = s.get(Prescription, second_id)
        assert first is not None and second is not None
        assert first.superseded_at is not None and not first.is_current
        assert (second.version, second.replaces_id, second.correction_reason) == (
            2,
            first_id,
            "Wrong strength",
        )
        assert second.is_current and second.code != first.code
        assert second.items[0].strength == "650 mg"
        assert first.items[0].strength == "500 mg"  # the old version is kept as it was
        actions = set(s.scalars(select(AuditEvent.action)).all())
        assert {"prescription.corrected", "prescription.superseded"} <= actions
        # superseded once, never "un-superseded"
        first.superseded_at = None
        with pytest.raises(ImmutablePrescription):
            s.flush()
        s.rollback()
    # a superseded prescription cannot be corrected again
    with pytest.raises(PrescriptionRejected) as err, runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=draft,
            replaces_code=first_code,
            correction_reason="again",
        )
    assert any("already replaced" in p for p in err.value.problems)


def test_a_second_first_issue_is_refused(runtime: Runtime) -> None:
    setting, _, code = _issue(runtime)
    with pytest.raises(PrescriptionRejected) as err, runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
        )
    assert err.value.problems == [
        f"This consultation already has prescription {code}: issue a correction of it instead."
    ]


def test_a_rejected_draft_lists_every_problem(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s, name=None, age=None, sex=None)
        other_doctor = staff_id(s, "DR-GM-2")
    draft = fever_draft(
        diagnosis="  ",
        items=[
            DraftItem("amoxicillin", "500 mg", "1 cap", "1-1-1", 5),
            DraftItem("morphine", "10 mg"),
            DraftItem("paracetamol_tab", None, "1 tab", "thrice", 120),
            DraftItem("unobtainium"),
        ],
        follow_up_on=date(2020, 1, 1),
        referral_urgency="urgent",
    )
    with pytest.raises(PrescriptionRejected) as err, runtime.db.session() as s:
        issue_prescription(
            s, consultation_id=setting.consultation_id, doctor_id=other_doctor, draft=draft
        )
    assert err.value.problems == [
        "Only the doctor of this consultation can prescribe in it.",
        "The patient's name is not known: ask the ANM and type it in.",
        "The patient's age is not known: ask it explicitly before prescribing.",
        "The patient's sex is not known: ask the ANM.",
        "Write the diagnosis or provisional diagnosis.",
        "Amoxicillin is on List A: it may be prescribed in a video first consultation "
        "or as a refill in a follow-up, not in an audio first consultation.",
        "Morphine is prohibited in telemedicine (NDPS narcotic): it can never be prescribed "
        "by phone or video. Refer the patient to a hospital if it is needed.",
        "Paracetamol: choose a strength (500 mg, 650 mg).",
        "Paracetamol: frequency 'thrice' should look like 1-0-1 (morning-afternoon-night) or SOS.",
        "Paracetamol: duration must be 1 to 90 days, not 120.",
        "Medicine 4: 'unobtainium' is not in the formulary.",
        "The follow-up date must be after today.",
        "A referral urgency is given but not where to refer.",
    ]
    with runtime.db.session() as s:
        assert s.scalar(select(Prescription.id)) is None
        consultation = s.get(Consultation, setting.consultation_id)
        assert consultation is not None
        assert consultation.state is ConsultationState.AWAITING_PRESCRIPTION


def test_the_doctor_needs_qualification_and_registration(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s)
        consultation = s.get(Consultation, setting.consultation_id)
        assert consultation is not None and consultation.doctor is not None
        consultation.doctor.registration_number = None
        consultation.doctor.qualification = " "
    with pytest.raises(PrescriptionRejected) as err, runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
        )
    assert err.value.problems == [
        "Your qualification is missing from the registry: ask the district admin.",
        "Your council registration number is missing from the registry: ask the district admin.",
    ]


def test_only_a_consultation_in_the_call_or_after_it_can_be_prescribed(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s)
        consultation = s.get(Consultation, setting.consultation_id)
        assert consultation is not None
        consultation.state = ConsultationState.BRIDGING
    with pytest.raises(PrescriptionRejected) as err, runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
        )
    assert err.value.problems == [
        "The consultation is bridging, not in the call or awaiting a prescription."
    ]


def test_identity_confirmed_by_the_doctor_or_from_the_ivr_fills_the_gaps(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s, name=None, age=None, sex=None)
        s.add_all(
            [
                IntakeAnswer(consultation_id=setting.consultation_id, question="age", value="7"),
                IntakeAnswer(consultation_id=setting.consultation_id, question="sex", value="male"),
            ]
        )
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(patient_name="Arif"),
        )
        assert (rx.patient_name, rx.patient_age, rx.patient_sex) == ("Arif", 7, "male")
    with runtime.db.session() as s:
        patient = s.get(Patient, setting.patient_id)
        assert patient is not None and (patient.name, patient.age_years, patient.sex) == (
            "Arif",
            7,
            "male",
        )


def test_a_follow_up_may_use_lists_a_and_b(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s)
        patient = s.get(Patient, setting.patient_id)
        assert patient is not None
        follow = add_consultation(
            s, setting.mini, patient=patient, follow_up_of_id=setting.consultation_id
        )
        follow_id, doctor_id = follow.id, follow.doctor_id
    draft = fever_draft(
        diagnosis="Type 2 diabetes, follow-up",
        items=[
            DraftItem("metformin", "500 mg", "1 tab", "1-0-1", 30),
            DraftItem("glimepiride", "1 mg", "1 tab", "1-0-0", 30),
        ],
        follow_up_on=to_ist(utcnow()).date() + timedelta(days=30),
    )
    with runtime.db.session() as s:
        rx = issue_prescription(s, consultation_id=follow_id, doctor_id=doctor_id or 0, draft=draft)
        assert rx.mode == "audio_anm_followup"
        assert [i.drug_list for i in rx.items] == ["A", "B"]
