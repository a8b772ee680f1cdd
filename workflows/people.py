"""Loading staff for the router: who is on duty now, who is busy, what a case sounds like."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from core.timeutil import IST
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    LegRole,
    Roster,
    Spoke,
    Staff,
    StaffRole,
)
from models.district import slot_covers
from workflows import router
from workflows.store import FINAL_STATUSES
from workflows.twiml import CaseSummary

S = ConsultationState
DOCTOR_BUSY_STATES = (S.BRIDGING, S.IN_CONFERENCE)


def staff_language(staff: Staff | None, fallback: str = "hi") -> str:
    """The language a staff member hears prompts in (her first listed)."""
    if staff is not None and staff.languages:
        return str(staff.languages[0])
    return fallback


#: The block's active ANMs with their roster slots of two weekdays (built once: statement
#: construction and its cache key cost more than running it).
ANMS = (
    select(Staff.id, Staff.spoke_id, Staff.rank, Staff.mobile, Roster.weekday)
    .add_columns(Roster.starts, Roster.ends)
    .join(Spoke, Staff.spoke_id == Spoke.id)
    .outerjoin(
        Roster,
        and_(
            Roster.staff_id == Staff.id,
            Roster.weekday.in_((bindparam("today"), bindparam("yesterday"))),
        ),
    )
    .where(
        Staff.role == StaffRole.ANM,
        Staff.active.is_(True),
        Spoke.block_id
        == select(Spoke.block_id).where(Spoke.id == bindparam("spoke_id")).scalar_subquery(),
    )
)


def anm_order(session: Session, c: Consultation, now: datetime) -> list[tuple[int, str]]:
    """ANMs to call for ``c`` as (id, mobile): the spoke's own by rank, then the block's.

    One query of plain columns (the block's ANMs with today's and yesterday's roster
    slots, the only ones that can cover ``now``), run without autoflush: it reads
    nothing the step may have changed.
    """
    if c.spoke_id is None:
        return []
    with session.no_autoflush:
        rows = session.execute(ANMS, anm_params(c.spoke_id, now)).all()
    return order_anms(rows, c.spoke_id, now)


def anm_params(spoke_id: int, now: datetime) -> dict[str, int]:
    """The parameters of ``ANMS`` for a spoke at ``now`` (IST weekdays)."""
    weekday = now.astimezone(IST).weekday()
    return {"spoke_id": spoke_id, "today": weekday, "yesterday": (weekday - 1) % 7}


def order_anms(
    rows: Iterable[Sequence[Any]], spoke_id: int, now: datetime
) -> list[tuple[int, str]]:
    """The rows of ``ANMS`` as the ANMs to call, in order, as (id, mobile)."""
    local = now.astimezone(IST)
    weekday, moment = local.weekday(), local.time()
    mobiles: dict[int, str] = {}
    duty: dict[int, bool] = {}
    views: dict[int, router.Anm] = {}
    for sid, staff_spoke, rank, mobile, day, starts, ends in rows:
        covers = day is not None and slot_covers(day, starts, ends, weekday, moment)
        duty[sid] = duty.get(sid, False) or covers
        mobiles[sid] = mobile
        views[sid] = router.Anm(sid, staff_spoke, rank)
    ready = [replace(v, on_duty=duty[i]) for i, v in views.items()]
    spokes = {v.spoke_id for v in ready if v.spoke_id is not None}
    order = router.anm_order(ready, spoke_id=spoke_id, block_spoke_ids=spokes)
    return [(i, mobiles[i]) for i in order]


#: Doctors holding an offer still open. The role is written into the SQL (not a parameter)
#: so that PostgreSQL can use the partial index ``ix_call_legs_open_offers`` in any plan.
_OPEN_OFFERS = select(CallLeg.staff_id).where(
    CallLeg.role == bindparam("role", LegRole.DOCTOR_OFFER, literal_execute=True),
    CallLeg.outcome.is_(None),
    CallLeg.status.not_in(FINAL_STATUSES),
)


def busy_doctor_ids(session: Session) -> set[int]:
    """Doctors in a consultation, or holding an offer that is still ringing."""
    in_call = session.scalars(
        select(Consultation.doctor_id).where(
            Consultation.state.in_(DOCTOR_BUSY_STATES), Consultation.doctor_id.is_not(None)
        )
    ).all()
    offered = session.scalars(_OPEN_OFFERS).all()
    return {i for i in (*in_call, *offered) if i is not None}


#: Today's and yesterday's roster slots of some staff (the only ones that can cover now).
_SLOTS = select(Roster.staff_id, Roster.weekday, Roster.starts, Roster.ends).where(
    Roster.staff_id.in_(bindparam("ids", expanding=True)),
    Roster.weekday.in_((bindparam("today"), bindparam("yesterday"))),
)


def on_duty_ids(session: Session, staff_ids: Iterable[int], now: datetime) -> set[int]:
    """Which of ``staff_ids`` a roster slot covers ``now`` (IST): one query of plain columns."""
    ids = list(staff_ids)
    if not ids:
        return set()
    local = now.astimezone(IST)
    weekday, moment = local.weekday(), local.time()
    params = {"ids": ids, "today": weekday, "yesterday": (weekday - 1) % 7}
    with session.no_autoflush:
        rows = session.execute(_SLOTS, params).all()
    return {
        sid for sid, day, starts, ends in rows if slot_covers(day, starts, ends, weekday, moment)
    }


#: Every doctor, as plain columns (the router's view, and the district to stay inside).
_DOCTORS = select(
    Staff.id,
    Staff.hub_id,
    Staff.specialty,
    Staff.languages,
    Staff.active,
    Staff.available,
    Staff.idle_since,
    Staff.district_id,
).where(Staff.role == StaffRole.DOCTOR)


def doctor_pool(session: Session, now: datetime) -> tuple[list[router.Doctor], dict[int, int]]:
    """Every doctor as the router sees them now, and each one's district id.

    A district has dozens of doctors with a week of roster slots each: they are read as
    plain rows, with only today's and yesterday's slots; the one doctor chosen is loaded
    by the caller.
    """
    rows = session.execute(_DOCTORS).all()
    duty = on_duty_ids(session, (r.id for r in rows), now)
    busy = busy_doctor_ids(session)
    views = [
        router.Doctor(
            id=r.id,
            hub_id=r.hub_id,
            specialty=r.specialty,
            languages=tuple(r.languages or ()),
            on_duty=r.id in duty,
            active=r.active,
            available=r.available,
            busy=r.id in busy,
            idle_since=r.idle_since,
        )
        for r in rows
    ]
    return views, {r.id: r.district_id for r in rows}


def case_summary(c: Consultation) -> CaseSummary:
    """What staff hear about ``c``."""
    p = c.patient
    return CaseSummary(
        reference=c.reference,
        name=p.name if p else None,
        age_years=p.age_years if p else None,
        sex=p.sex if p else None,
        complaint=c.complaint,
        days=c.days,
        danger_signs=tuple(str(s) for s in (c.danger_signs or ())),
        emergency=bool(c.emergency),
        recording_url=c.recording_url,
    )
