"""Who is on duty now, and the gaps in the coming week's rosters (IST wall-clock).

A roster slot covers an hour when it covers the hour's start (``models.district.slot_covers``,
the rule the workflow uses to find who is on duty). Gaps:

- a specialty with no active doctor on duty in an hour, over every hour of the week (the
  specialties are those of the district's active doctors and hubs);
- an HWC with no active ANM of its own on duty in an hour inside the call window (patients
  are called only then; ``workflows.config`` ``call_window``).

Consecutive uncovered hours make one gap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.clock import CallWindow
from core.timeutil import IST, as_utc
from models import Hub, Spoke, Staff, StaffRole
from models.district import slot_covers

WEEK_HOURS = 7 * 24


@dataclass(frozen=True)
class OnDuty:
    """One person rostered now."""

    role: str
    code: str
    name: str
    where: str  # the doctor's specialty, the ANM's HWC


@dataclass(frozen=True)
class Gap:
    """Hours with nobody on duty: ``what`` (a specialty or an HWC) from ``starts`` for
    ``hours`` hours (IST)."""

    kind: str  # "doctor" or "anm"
    what: str
    starts: datetime
    hours: int


Slot = tuple[int, time, time]


def _covers(slots: list[Slot], moment: datetime) -> bool:
    local = moment.astimezone(IST)
    return any(slot_covers(d, s, e, local.weekday(), local.time()) for d, s, e in slots)


def _staff(db: Session, role: StaffRole, block_id: int | None) -> list[Staff]:
    query = (
        select(Staff)
        .where(Staff.role == role, Staff.active.is_(True))
        .options(selectinload(Staff.rosters), selectinload(Staff.spoke))
        .order_by(Staff.code)
    )
    if block_id is not None and role is StaffRole.ANM:
        query = query.join(Spoke, Spoke.id == Staff.spoke_id).where(Spoke.block_id == block_id)
    return list(db.scalars(query))


def _slots(staff: Staff) -> list[Slot]:
    return [(r.weekday, r.starts, r.ends) for r in staff.rosters]


def on_duty(db: Session, now: datetime, block_id: int | None = None) -> list[OnDuty]:
    """Doctors (all: they serve the whole district) and the block's ANMs on duty at ``now``."""
    out = []
    for role in (StaffRole.DOCTOR, StaffRole.ANM):
        for person in _staff(db, role, block_id):
            if _covers(_slots(person), now):
                where = person.specialty if role is StaffRole.DOCTOR else None
                if role is StaffRole.ANM and person.spoke is not None:
                    where = person.spoke.code
                out.append(OnDuty(role.value, person.code, person.name, where or "-"))
    return out


def _hours(now: datetime) -> list[datetime]:
    start = as_utc(now).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return [start + timedelta(hours=i) for i in range(WEEK_HOURS)]


def _merge(kind: str, what: str, uncovered: list[datetime]) -> list[Gap]:
    gaps: list[Gap] = []
    for hour in uncovered:
        last = gaps[-1] if gaps else None
        if last is not None and last.starts + timedelta(hours=last.hours) == hour:
            gaps[-1] = Gap(kind, what, last.starts, last.hours + 1)
        else:
            gaps.append(Gap(kind, what, hour, 1))
    return gaps


def roster_gaps(
    db: Session, now: datetime, window: CallWindow, block_id: int | None = None
) -> list[Gap]:
    """The coming week's gaps (from the next whole hour), doctors' first, then HWCs'."""
    hours = _hours(now)
    doctors = _staff(db, StaffRole.DOCTOR, None)
    specialties = {d.specialty for d in doctors if d.specialty}
    for hub_specialties in db.scalars(select(Hub.specialties)):
        specialties.update(hub_specialties or [])
    slots_by_specialty: dict[str, list[Slot]] = defaultdict(list)
    for d in doctors:
        if d.specialty:
            slots_by_specialty[d.specialty].extend(_slots(d))
    gaps: list[Gap] = []
    for specialty in sorted(specialties):
        slots = slots_by_specialty.get(specialty, [])
        gaps += _merge("doctor", specialty, [h for h in hours if not _covers(slots, h)])
    slots_by_spoke: dict[int, list[Slot]] = defaultdict(list)
    for anm in _staff(db, StaffRole.ANM, block_id):
        if anm.spoke_id is not None:
            slots_by_spoke[anm.spoke_id].extend(_slots(anm))
    spokes = select(Spoke).order_by(Spoke.code)
    if block_id is not None:
        spokes = spokes.where(Spoke.block_id == block_id)
    open_hours = [h for h in hours if window.always_open or window.contains(h)]
    for spoke in db.scalars(spokes):
        slots = slots_by_spoke.get(spoke.id, [])
        gaps += _merge("anm", spoke.code, [h for h in open_hours if not _covers(slots, h)])
    return gaps


def gap_hours(gaps: list[Gap]) -> dict[tuple[str, str], int]:
    """Uncovered hours per (kind, specialty or HWC)."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for gap in gaps:
        out[(gap.kind, gap.what)] += gap.hours
    return dict(out)


__all__ = ["Gap", "OnDuty", "gap_hours", "on_duty", "roster_gaps"]
