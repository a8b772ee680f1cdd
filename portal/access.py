"""Which consultations a doctor may see: those offered to her or taken by her."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from core.timeutil import utcnow
from models import (
    TERMINAL_STATES,
    CallLeg,
    Consultation,
    ConsultationState,
    LegRole,
    Prescription,
)

RECENT = timedelta(days=14)
#: States in which the doctor still has something to do (or to hear) — listed as open.
CLOSED_FOR_DOCTOR = TERMINAL_STATES | {ConsultationState.PRESCRIBED, ConsultationState.UNREACHABLE}


def _offered_to(staff_id: int) -> Select[int | None]:
    return select(CallLeg.consultation_id).where(
        CallLeg.role == LegRole.DOCTOR_OFFER,
        CallLeg.staff_id == staff_id,
        CallLeg.consultation_id.is_not(None),
    )


def visible_to(staff_id: int) -> Select[Consultation]:
    """Consultations this doctor may open (taken by her, or offered to her)."""
    return select(Consultation).where(
        or_(Consultation.doctor_id == staff_id, Consultation.id.in_(_offered_to(staff_id)))
    )


def may_see(db: Session, staff_id: int, consultation: Consultation) -> bool:
    """Whether this doctor may open ``consultation``."""
    if consultation.doctor_id == staff_id:
        return True
    offered = db.scalar(
        select(CallLeg.id)
        .where(
            CallLeg.role == LegRole.DOCTOR_OFFER,
            CallLeg.staff_id == staff_id,
            CallLeg.consultation_id == consultation.id,
        )
        .limit(1)
    )
    return offered is not None


def may_prescribe(staff_id: int, consultation: Consultation) -> bool:
    """Only the doctor who took the consultation writes its prescription."""
    return consultation.doctor_id == staff_id


def open_and_recent(
    db: Session, staff_id: int, limit: int = 50
) -> tuple[list[Consultation], list[Consultation]]:
    """This doctor's open consultations (most urgent first) and recent finished ones."""
    base = visible_to(staff_id).options(selectinload(Consultation.patient))
    open_rows = db.scalars(
        base.where(Consultation.state.not_in(CLOSED_FOR_DOCTOR))
        .order_by(Consultation.priority, Consultation.created_at)
        .limit(limit)
    ).all()
    recent_rows = db.scalars(
        base.where(
            Consultation.state.in_(CLOSED_FOR_DOCTOR),
            Consultation.created_at >= utcnow() - RECENT,
        )
        .order_by(Consultation.created_at.desc())
        .limit(limit)
    ).all()
    return list(open_rows), list(recent_rows)


def past_consultations(
    db: Session, consultation: Consultation, limit: int = 10
) -> list[Consultation]:
    """Earlier consultations of the same patient (newest first)."""
    if consultation.patient_id is None:
        return []
    return list(
        db.scalars(
            select(Consultation)
            .where(
                Consultation.patient_id == consultation.patient_id,
                Consultation.id != consultation.id,
                Consultation.created_at <= consultation.created_at,
            )
            .order_by(Consultation.created_at.desc())
            .limit(limit)
        ).all()
    )


def prescriptions_of(db: Session, consultation_ids: list[int]) -> dict[int, list[Prescription]]:
    """Each consultation's prescriptions, newest version first."""
    if not consultation_ids:
        return {}
    rows = db.scalars(
        select(Prescription)
        .where(Prescription.consultation_id.in_(consultation_ids))
        .options(selectinload(Prescription.items))
        .order_by(Prescription.version.desc())
    ).all()
    out: dict[int, list[Prescription]] = {}
    for row in rows:
        out.setdefault(row.consultation_id, []).append(row)
    return out
