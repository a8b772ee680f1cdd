"""What the IVR knows of a returning caller: a prescription to hear, an SMS script chosen.

* ``caller_standing``: asked once, when a new call starts (one statement): a current
  prescription, so the first menu offers "press 5 to hear your latest prescription"
  (read by ``prescriptions.voice.latest_prescription_twiml``); and whether the caller is
  a registered ANM or pharmacist, offered "press 2 to check a prescription code"
  (``prescriptions.check``).
* ``remember_sms_script``: the caller's answer to "can your phone show Hindi letters?",
  kept on the Patient (``sms_templates.scripts.remember_script``) so that every later
  SMS to the phone uses it and the question is not asked again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from ivr.catalog import LANGUAGES
from ivr.store import LoadedCall
from models import Consultation, Patient, Prescription, Staff
from models.district import rx_verifier
from sms_templates.scripts import remember_script


@dataclass(frozen=True)
class Standing:
    """What a new call needs to know of its caller before the first menu.

    Attributes:
        has_rx: a current prescription to offer (``rx_offer``).
        verifier_languages: the caller is a registered, active ANM or pharmacist
            (``models.district.rx_verifier``): her languages (offered a code check,
            ``rx_check_offer``); None for anyone else.
    """

    has_rx: bool
    verifier_languages: list[str] | None

    @property
    def verifier_language(self) -> str | None:
        """The first of her languages the IVR speaks (Hindi if none), None if no verifier."""
        if self.verifier_languages is None:
            return None
        return next((lang for lang in self.verifier_languages if lang in LANGUAGES), "hi")


def caller_standing(s: Session, caller: str) -> Standing:
    """``has_current_prescription`` and whether the caller is a verifier: one statement.

    The verifier is a scalar sub-query on ``staff.mobile`` (unique index) beside the
    prescription's ``EXISTS``: the call's start makes no extra round trip for it.
    """
    languages = select(Staff.languages).where(rx_verifier(caller)).limit(1).scalar_subquery()
    row = s.execute(select(_current_for(caller), languages)).one()
    return Standing(bool(row[0]), list(row[1]) if row[1] is not None else None)


def has_current_prescription(s: Session, caller: str) -> bool:
    """Whether a current (not superseded) prescription exists for this phone."""
    return bool(s.scalar(select(_current_for(caller))))


def _current_for(caller: str) -> ColumnElement[bool]:
    """Whether a current (not superseded) prescription exists for this phone.

    A consultation counts when the caller rang for it (``caller_mobile``) or its
    patient has this mobile. Each branch walks an index
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
    return or_(by_caller.exists(), by_patient.exists())


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
