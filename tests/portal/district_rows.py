"""Hand-built consultations, offers and SMS for the district figures' tests (Nov 2026).

The period 9-15 Nov 2026 (IST, a Monday to a Sunday) holds ten consultations, one of each
outcome and some edges: one created at 01:30 IST (the previous UTC day), one a minute
before the period ends, an emergency a doctor did see (completed). Two more fall just
outside the period but inside the month.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    LegRole,
    Prescription,
    SmsMessage,
    Staff,
)
from tests.builders import MiniDistrict

S = ConsultationState


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: reference -> (spoke code or None, created (UTC), state, emergency, minutes to doctor)
ROWS: dict[str, tuple[str | None, str, S, bool, int | None]] = {
    "c1": ("HWC-001", "2026-11-10 04:00", S.PRESCRIBED, False, 10),
    "c2": ("HWC-001", "2026-11-10 20:00", S.CLOSED, False, 30),  # 01:30 IST on the 11th
    "c3": ("HWC-002", "2026-11-12 06:00", S.CLOSED, True, None),
    "c4": ("HWC-003", "2026-11-12 07:00", S.UNREACHABLE, False, None),
    "c5": ("HWC-003", "2026-11-13 07:00", S.CALLBACK_SCHEDULED, False, None),
    "c6": ("HWC-002", "2026-11-13 08:00", S.ABANDONED, False, None),
    "c7": (None, "2026-11-14 08:00", S.CONSENT_REFUSED, False, None),
    "c8": ("HWC-001", "2026-11-14 09:00", S.FINDING_DOCTOR, False, None),
    "c10": ("HWC-002", "2026-11-15 18:29", S.INTAKE, False, None),  # 23:59 IST, the 15th
    "c12": ("HWC-001", "2026-11-11 05:00", S.PRESCRIBED, True, 15),
    "c9": ("HWC-001", "2026-11-08 18:00", S.CLOSED, False, None),  # 23:30 IST, the 8th
    "c11": ("HWC-003", "2026-11-15 18:31", S.INTAKE, False, None),  # 00:01 IST, the 16th
}

#: reference -> [(doctor code, leg outcome)]
OFFERS: dict[str, list[tuple[str, str | None]]] = {
    "c1": [("DR-GM-2", "missed"), ("DR-GM-1", "accepted")],
    "c2": [("DR-GM-1", "declined"), ("DR-GM-2", "accepted")],
    "c8": [("DR-GM-1", None)],
    "c3": [("DR-GM-2", "not-needed")],
    "c12": [("DR-GM-1", "accepted")],
    "c9": [("DR-GM-1", "missed")],  # outside the period
}
#: reference -> SMS statuses
SMS: dict[str, list[str]] = {
    "c1": ["delivered", "read"],
    "c2": ["undelivered"],
    "c4": ["failed", "canceled"],
    "c5": ["queued", "sent"],
    "c9": ["delivered"],  # outside the period
}


def build_rows(s: Session, mini: MiniDistrict) -> dict[str, int]:
    """Add ``ROWS`` (with their offers, SMS and a prescription for c1); ids by reference."""
    staff = {st.code: st for st in s.scalars(select(Staff))}
    ids = {}
    for n, (ref, (spoke, created, state, emergency, minutes)) in enumerate(ROWS.items()):
        at = utc(created)
        c = Consultation(
            reference=ref.upper(),
            state=state,
            spoke_id=mini.spoke_ids[spoke] if spoke else None,
            caller_mobile=f"+91980000{n:04d}",
            emergency=emergency,
            created_at=at,
            doctor_joined_at=at + timedelta(minutes=minutes) if minutes is not None else None,
        )
        s.add(c)
        s.flush()
        ids[ref] = c.id
        for i, (code, outcome) in enumerate(OFFERS.get(ref, [])):
            s.add(
                CallLeg(
                    consultation_id=c.id,
                    purpose=f"c{c.id}:offer:{i}",
                    role=LegRole.DOCTOR_OFFER,
                    staff_id=staff[code].id,
                    from_number="+916456220001",
                    to_number=staff[code].mobile,
                    status="completed",
                    outcome=outcome,
                )
            )
        for status in SMS.get(ref, []):
            s.add(
                SmsMessage(
                    consultation_id=c.id,
                    purpose="prescription",
                    to_number=c.caller_mobile,
                    body="x",
                    encoding="GSM-7",
                    segments=1,
                    status=status,
                )
            )
    doctor = staff["DR-GM-1"]
    s.add(
        Prescription(
            code="RXTEST1",
            consultation_id=ids["c1"],
            doctor_id=doctor.id,
            doctor_name=doctor.name,
            doctor_qualification="MBBS",
            doctor_registration="BMC-1",
            hub_name="Sadar Hospital Kishanganj",
            patient_name="Rani",
            patient_age=30,
            patient_sex="female",
            diagnosis="fever",
        )
    )
    s.flush()
    return ids
