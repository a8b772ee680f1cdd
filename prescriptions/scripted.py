"""A scripted doctor for the demo and ``sampark simulate``: a sensible List O prescription.

It writes what a hub doctor typically writes for each IVR complaint, adapts to a child,
and keeps to medicines the policy allows in the consultation's mode.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from core.runtime import Runtime
from core.timeutil import to_ist, utcnow
from models import Consultation, Prescription
from prescriptions.draft import DraftItem, PrescriptionDraft
from prescriptions.policy import check_medicine, mode_for
from prescriptions.service import PrescriptionRejected, issue_prescription, patient_identity

log = logging.getLogger(__name__)

CHILD_AGE = 12


def _fever(child: bool) -> DraftItem:
    if child:
        return DraftItem("paracetamol_syrup", "250 mg/5 ml", "5 ml", "1-1-1", 3, "If fever")
    return DraftItem("paracetamol_tab", "500 mg", "1 tab", "1-1-1", 3, "After food")


def _draft_for(complaint: str | None, child: bool) -> PrescriptionDraft:
    """The scripted doctor's prescription for an IVR complaint key."""
    zinc = DraftItem("zinc", "20 mg", "1 tab", "1-0-0", 14)
    ors = DraftItem("ors", "20.5 g", "1 sachet", "SOS", 3)
    plans: dict[str, PrescriptionDraft] = {
        "fever": PrescriptionDraft(
            "Fever, likely viral (provisional)",
            [_fever(child)],
            advice="Drink plenty of fluids and rest. Come back at once if fever lasts over "
            "3 days, or with fits, rash, bleeding or drowsiness.",
            tests=["Malaria RDT"],
        ),
        "cough_breathing": PrescriptionDraft(
            "Acute upper respiratory infection (provisional)",
            [_fever(child)] + ([] if child else [DraftItem("cough_lozenge", "standard")]),
            advice="Warm fluids and steam. Go to hospital at once if breathing is fast or hard.",
        ),
        "pregnancy": PrescriptionDraft(
            "Antenatal care, routine check (provisional)",
            [
                DraftItem("ifa", "60 mg + 0.5 mg", "1 tab", "0-0-1", 30, "After dinner"),
                DraftItem("calcium", "500 mg", "1 tab", "1-0-1", 30, "Not with the IFA tablet"),
            ],
            advice="Eat green vegetables and pulses. Visit the HWC for the ANC check-up.",
            tests=["Haemoglobin", "Urine albumin", "Blood pressure"],
        ),
        "child_illness": PrescriptionDraft(
            "Childhood fever, likely viral (provisional)",
            [_fever(True)],
            advice="Keep breastfeeding and giving fluids. Bring the child at once if not "
            "drinking, very sleepy, or breathing fast.",
        ),
        "diarrhoea_vomiting": PrescriptionDraft(
            "Acute diarrhoea without dehydration (provisional)",
            [ors, zinc],
            advice="Keep eating and drinking; wash hands with soap. Go to hospital if blood "
            "in stool, no urine or very weak.",
        ),
        "skin": PrescriptionDraft(
            "Itchy skin rash, likely allergic (provisional)",
            [DraftItem("cetirizine", "10 mg", "1 tab", "0-0-1", 5, "May cause sleepiness")],
            advice="Keep the skin clean and dry; wash clothes in hot water.",
        ),
        "pain": PrescriptionDraft(
            "Musculoskeletal pain (provisional)",
            [DraftItem("paracetamol_tab", "500 mg", "1 tab", "1-0-1", 3, "After food")],
            advice="Rest the painful part; warm compress.",
        ),
        "bp_diabetes_followup": PrescriptionDraft(
            "Hypertension / diabetes review (provisional)",
            [],
            advice="Less salt and sugar, walk daily. Continue your current medicines; the "
            "doctor will review them at the follow-up.",
            tests=["Blood pressure", "Fasting blood sugar"],
        ),
    }
    default = PrescriptionDraft(
        "General complaint, advised (provisional)",
        [_fever(child)] if not child else [],
        advice="Rest and fluids. Call again if not better in 3 days.",
    )
    return plans.get(complaint or "", default)


def scripted_draft(consultation: Consultation) -> PrescriptionDraft:
    """The draft the scripted doctor writes for ``consultation``."""
    blank = PrescriptionDraft(diagnosis="")
    who = patient_identity(consultation, blank)
    child = who.age is not None and who.age < CHILD_AGE
    if consultation.complaint == "child_illness":
        child = True
    draft = _draft_for(consultation.complaint, child)
    mode = mode_for(consultation)
    draft.items = [i for i in draft.items if check_medicine(i.medicine_code, mode).allowed]
    if consultation.complaint == "bp_diabetes_followup":
        draft.follow_up_on = to_ist(utcnow()).date() + timedelta(days=7)
    # The scripted doctor "asks the ANM" for what the IVR could not capture.
    draft.patient_name = who.name or f"Patient {consultation.reference}"
    draft.patient_age = who.age if who.age is not None else (5 if child else 30)
    draft.patient_sex = who.sex or "other"
    return draft


def issue_scripted_prescription(
    session: Session, consultation_id: int, *, runtime: Runtime | None = None
) -> Prescription:
    """Issue the scripted doctor's prescription in a consultation awaiting one.

    Raises:
        PrescriptionRejected: the consultation is not ready (no doctor, wrong state...).
    """
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise PrescriptionRejected([f"Consultation {consultation_id} does not exist."])
    if consultation.doctor_id is None:
        raise PrescriptionRejected(["The consultation has no doctor to prescribe."])
    rx = issue_prescription(
        session,
        consultation_id=consultation.id,
        doctor_id=consultation.doctor_id,
        draft=scripted_draft(consultation),
        runtime=runtime,
    )
    log.info(
        "scripted prescription issued", extra={"code": rx.code, "complaint": consultation.complaint}
    )
    return rx
