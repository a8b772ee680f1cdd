"""Seeds for the ANM's workspace: ANM passwords, a prescription to dispense, and a
consultation at another HWC of the same block (HWC-002) that ANM-001 must not see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import to_ist, utcnow
from models import Consultation, ConsultationState, Patient, Roster, Spoke, Staff
from portal.security import hash_password
from prescriptions.draft import DraftItem, PrescriptionDraft
from prescriptions.service import issue_prescription
from tests.portal.conftest import DOCTOR, PASSWORD, Seeded

ANM = "ANM-001"  # HWC-001 (Belwa), block Kishanganj
NEIGHBOUR = "ANM-003"  # HWC-002 (Daula), the same block
FAR_ANM = "ANM-004"  # HWC-003, another block


@dataclass
class AnmSeeded:
    """What the ANM tests work on."""

    base: Seeded
    rx_code: str
    rx_id: int
    other_consultation_id: int  # HWC-002's
    other_rx_code: str


def _prescribe(runtime: Runtime, consultation_id: int, doctor_id: int) -> tuple[str, int]:
    follow_up = to_ist(utcnow()).date() + timedelta(days=2)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=consultation_id,
            doctor_id=doctor_id,
            draft=PrescriptionDraft(
                diagnosis="Viral fever",
                items=[DraftItem("paracetamol_tab", "500 mg"), DraftItem("ors")],
                advice="Plenty of fluids",
                follow_up_on=follow_up,
            ),
            runtime=runtime,
        )
        return rx.code, rx.id


def seed_anm(runtime: Runtime, base: Seeded) -> AnmSeeded:
    """Passwords for every ANM, the seeded consultation prescribed by DR-GM-1, and a
    prescribed consultation at HWC-002 (same block, its ANM on duty)."""
    password_hash = hash_password(PASSWORD)
    with runtime.db.session() as s:
        for anm in s.scalars(select(Staff).where(Staff.code.like("ANM-%"))):
            anm.password_hash = password_hash
        daula = s.scalars(select(Spoke).where(Spoke.code == "HWC-002")).one()
        patient = Patient(mobile="+919990300002", name="Salma Begum", age_years=40, sex="female")
        other = Consultation(
            reference="KSG-000003",
            state=ConsultationState.AWAITING_PRESCRIPTION,
            spoke_id=daula.id,
            patient=patient,
            caller_mobile=patient.mobile,
            language="ur",
            consent=True,
            complaint="cough_breathing",
            days=4,
            danger_signs=[],
            specialty="general_medicine",
            anm_id=base.staff_ids[NEIGHBOUR],
            doctor_id=base.staff_ids[DOCTOR],
        )
        s.add(other)
        s.flush()
        other_id = other.id
    code, rx_id = _prescribe(runtime, base.consultation_id, base.staff_ids[DOCTOR])
    other_code, _ = _prescribe(runtime, other_id, base.staff_ids[DOCTOR])
    return AnmSeeded(base, code, rx_id, other_id, other_code)


def take_off_duty(runtime: Runtime, staff_code: str) -> None:
    """The ANM has no roster slot now (nor ever): her HWC is covered by her block."""
    with runtime.db.session() as s:
        staff = s.scalars(select(Staff).where(Staff.code == staff_code)).one()
        for slot in s.scalars(select(Roster).where(Roster.staff_id == staff.id)):
            s.delete(slot)
