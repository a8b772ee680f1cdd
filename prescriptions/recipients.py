"""Who hears about a prescription, in which language, and the number they ring back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import Settings
from models import Consultation, Staff, StaffRole
from outbound.caller_id import caller_id, dial_in_line

SMS_LANGUAGES = ("hi", "ur", "bn", "en")


def callback_number(session: Session, consultation: Consultation) -> str | None:
    """The number a message tells the patient to ring: the dial-in line
    (``outbound.caller_id.dial_in_line``), never the configured outbound number."""
    line = dial_in_line(session, consultation)
    return line[0] if line is not None else None


def call_from(session: Session, consultation: Consultation, settings: Settings) -> str | None:
    """The number a call of ours about ``consultation`` comes from (the caller-ID rule)."""
    return caller_id(session, consultation, settings=settings)


def dispensing_anm(session: Session, consultation: Consultation) -> Staff | None:
    """The ANM who dispenses: the consultation's, else the spoke's first-ranked active ANM."""
    if consultation.anm is not None:
        return consultation.anm
    if consultation.spoke_id is None:
        return None
    return session.scalar(
        select(Staff)
        .where(
            Staff.spoke_id == consultation.spoke_id,
            Staff.role == StaffRole.ANM,
            Staff.active.is_(True),
        )
        .order_by(Staff.rank)
    )


def patient_language(consultation: Consultation) -> str:
    """The consultation's language if an SMS can be in it, else the patient's, else Hindi."""
    patient = consultation.patient
    for lang in (consultation.language, patient.preferred_language if patient else None):
        if lang in SMS_LANGUAGES:
            return lang
    return "hi"
