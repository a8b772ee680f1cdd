"""What the IVR knows of a returning caller: a prescription to hear, an SMS script chosen.

* ``has_current_prescription``: asked once, when a new call starts; the first menu
  then offers "press 5 to hear your latest prescription" (read by
  ``prescriptions.voice.latest_prescription_twiml``).
* ``remember_sms_script``: the caller's answer to "can your phone show Hindi letters?",
  kept on the Patient (``sms_templates.scripts.remember_script``) so that every later
  SMS to the phone uses it and the question is not asked again.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ivr.store import LoadedCall
from models import Consultation, Patient, Prescription
from sms_templates.scripts import remember_script


def has_current_prescription(s: Session, caller: str) -> bool:
    """Whether a current (not superseded) prescription exists for this phone.

    A consultation counts when the caller rang for it (``caller_mobile``) or its
    patient has this mobile. One statement; each branch walks an index
    (``consultations.caller_mobile``; ``patients.mobile`` then
    ``consultations.patient_id``; then ``prescriptions.consultation_id``).
    """
    current = (
        select(Prescription.id)
        .where(
            Prescription.consultation_id == Consultation.id,
            Prescription.superseded_at.is_(None),
        )
        .exists()
    )
    by_caller = select(Consultation.id).where(Consultation.caller_mobile == caller, current)
    by_patient = (
        select(Consultation.id)
        .join(Patient, Consultation.patient_id == Patient.id)
        .where(Patient.mobile == caller, current)
    )
    return bool(s.scalar(select(or_(by_caller.exists(), by_patient.exists()))))


def remember_sms_script(s: Session, call: LoadedCall, script: str) -> None:
    """Keep the caller's SMS script on their own record and on this call's patient.

    SMS to the phone pick it up: ``outbound.sms.queue_sms`` reads the
    consultation's patient, else the number's own patient; a child or relative
    added on a later call inherits it (``ivr.store.link_patient``).
    """
    ids = {call.state.vars.get("caller_patient_id"), call.state.vars.get("patient_id")}
    for patient_id in sorted(i for i in ids if i):
        patient = s.get(Patient, patient_id)
        if patient is not None:
            remember_script(patient, script)
