"""The lists on the ANM's workspace: what waits, what is due, what to dispense.

Each list is read for one set of HWCs (a SQL filter on consultations): her own, or the
ones she covers (``portal.anm_scope``). Small lists (capped), newest or most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from core.timeutil import IST, to_ist, utcnow
from models import (
    Consultation,
    ConsultationState,
    DispenseOutcome,
    Prescription,
    PrescriptionDispensing,
)

S = ConsultationState
#: A consultation still on its way to a prescription (the ANM may be called any moment).
WAITING_STATES = frozenset(
    {
        S.INTAKE_COMPLETE,
        S.EMERGENCY,
        S.CALLING_ANM,
        S.FINDING_DOCTOR,
        S.BRIDGING,
        S.IN_CONFERENCE,
        S.AWAITING_PRESCRIPTION,
    }
)
#: The patient must be called back: scheduled, or we could not reach them, or they hung up.
CALLBACK_STATES = frozenset({S.CALLBACK_SCHEDULED, S.UNREACHABLE, S.ABANDONED})
#: How far back call-backs, emergencies and prescriptions to dispense are listed.
RECENT_DAYS = 3
DISPENSE_DAYS = 14
#: Follow-ups from this many days ago (missed) to this many ahead.
FOLLOW_UP_WINDOW = (3, 3)
LIMIT = 50


@dataclass
class ToDispense:
    """A current prescription not yet dispensed, and the ANM's last note on it, if any."""

    rx: Prescription
    last: PrescriptionDispensing | None


@dataclass
class Workspace:
    """Everything one set of HWCs has for the ANM."""

    waiting: list[Consultation] = field(default_factory=list)
    today: list[Consultation] = field(default_factory=list)
    callbacks: list[Consultation] = field(default_factory=list)
    emergencies: list[Consultation] = field(default_factory=list)
    follow_ups: list[Prescription] = field(default_factory=list)
    to_dispense: list[ToDispense] = field(default_factory=list)

    def consultation_ids(self) -> list[int]:
        rows = self.waiting + self.today + self.callbacks + self.emergencies
        return sorted({c.id for c in rows})

    def prescription_ids(self) -> list[int]:
        return sorted({r.id for r in self.follow_ups} | {d.rx.id for d in self.to_dispense})

    def empty(self) -> bool:
        return not (self.consultation_ids() or self.prescription_ids())


def ist_midnight(now: datetime) -> datetime:
    """The start of ``now``'s day in IST (aware)."""
    return datetime.combine(to_ist(now).date(), time(0), tzinfo=IST)


def _consultations(where: ColumnElement[bool]) -> Select[Consultation]:
    return select(Consultation).where(where).options(selectinload(Consultation.patient))


def latest_dispensing(
    db: Session, prescription_ids: list[int]
) -> dict[int, PrescriptionDispensing]:
    """Each prescription's newest dispensing row (what the HWC last recorded)."""
    if not prescription_ids:
        return {}
    rows = db.scalars(
        select(PrescriptionDispensing)
        .where(PrescriptionDispensing.prescription_id.in_(prescription_ids))
        .options(selectinload(PrescriptionDispensing.staff))
        .order_by(PrescriptionDispensing.at, PrescriptionDispensing.id)
    ).all()
    return {row.prescription_id: row for row in rows}


def dispensings_of(db: Session, rx: Prescription) -> list[PrescriptionDispensing]:
    """Everything the HWC recorded on ``rx``, oldest first."""
    return list(
        db.scalars(
            select(PrescriptionDispensing)
            .where(PrescriptionDispensing.prescription_id == rx.id)
            .order_by(PrescriptionDispensing.at, PrescriptionDispensing.id)
        ).all()
    )


def _current_prescriptions(where: ColumnElement[bool]) -> Select[Prescription]:
    return (
        select(Prescription)
        .join(Consultation, Prescription.consultation_id == Consultation.id)
        .where(where, Prescription.superseded_at.is_(None))
        .options(selectinload(Prescription.items), selectinload(Prescription.consultation))
    )


def workspace(db: Session, where: ColumnElement[bool], now: datetime | None = None) -> Workspace:
    """The lists for the HWCs ``where`` selects (a filter on ``Consultation``)."""
    now = now or utcnow()
    recent = now - timedelta(days=RECENT_DAYS)
    out = Workspace()
    out.waiting = list(
        db.scalars(
            _consultations(where)
            .where(Consultation.state.in_(WAITING_STATES))
            .order_by(Consultation.priority, Consultation.created_at)
            .limit(LIMIT)
        ).all()
    )
    out.today = list(
        db.scalars(
            _consultations(where)
            .where(
                Consultation.created_at >= ist_midnight(now),
                Consultation.state.not_in(WAITING_STATES),
            )
            .order_by(Consultation.created_at.desc())
            .limit(LIMIT)
        ).all()
    )
    out.callbacks = list(
        db.scalars(
            _consultations(where)
            .where(Consultation.state.in_(CALLBACK_STATES), Consultation.created_at >= recent)
            .order_by(Consultation.state_deadline_at.nulls_last(), Consultation.created_at)
            .limit(LIMIT)
        ).all()
    )
    out.emergencies = list(
        db.scalars(
            _consultations(where)
            .where(
                (Consultation.emergency.is_(True)) | (Consultation.state == S.EMERGENCY),
                Consultation.created_at >= recent,
            )
            .order_by(Consultation.created_at.desc())
            .limit(LIMIT)
        ).all()
    )
    today = to_ist(now).date()
    before, after = FOLLOW_UP_WINDOW
    out.follow_ups = list(
        db.scalars(
            _current_prescriptions(where)
            .where(
                Prescription.follow_up_on >= today - timedelta(days=before),
                Prescription.follow_up_on <= today + timedelta(days=after),
            )
            .order_by(Prescription.follow_up_on)
            .limit(LIMIT)
        ).all()
    )
    out.to_dispense = _to_dispense(db, where, now)
    return out


def _to_dispense(db: Session, where: ColumnElement[bool], now: datetime) -> list[ToDispense]:
    dispensed = select(PrescriptionDispensing.prescription_id).where(
        PrescriptionDispensing.outcome == DispenseOutcome.DISPENSED.value
    )
    rows = db.scalars(
        _current_prescriptions(where)
        .where(
            Prescription.issued_at >= now - timedelta(days=DISPENSE_DAYS),
            Prescription.id.not_in(dispensed),
        )
        .order_by(Prescription.issued_at.desc())
        .limit(LIMIT)
    ).all()
    last = latest_dispensing(db, [r.id for r in rows])
    return [ToDispense(rx, last.get(rx.id)) for rx in rows]


def follow_up_overdue(rx: Prescription, today: date) -> bool:
    """Whether the follow-up date has passed."""
    return rx.follow_up_on is not None and rx.follow_up_on < today


def stock_requests(
    db: Session, doctor_id: int
) -> list[tuple[Prescription, PrescriptionDispensing]]:
    """The doctor's current prescriptions whose HWC last said "not in stock" (newest first)."""
    rows = db.scalars(
        select(Prescription)
        .where(
            Prescription.doctor_id == doctor_id,
            Prescription.superseded_at.is_(None),
            Prescription.id.in_(
                select(PrescriptionDispensing.prescription_id).where(
                    PrescriptionDispensing.outcome == DispenseOutcome.NOT_IN_STOCK.value
                )
            ),
        )
        .order_by(Prescription.issued_at.desc())
        .limit(20)
    ).all()
    last = latest_dispensing(db, [rx.id for rx in rows])
    return [(rx, last[rx.id]) for rx in rows if rx.id in last and not last[rx.id].dispensed]
