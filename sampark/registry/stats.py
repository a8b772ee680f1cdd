"""Counts that describe the registry (``sampark district stats``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Block, District, Hub, NumberKind, Roster, ServiceNumber, Spoke, Staff, StaffRole


def registry_stats(session: Session) -> dict[str, Any]:
    """Counts of blocks, hubs, spokes, active staff by role, numbers and rosters."""

    def count(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    def grouped(stmt: Any) -> dict[Any, int]:
        return {key: int(n) for key, n in session.execute(stmt)}

    staff_by_role = grouped(
        select(Staff.role, func.count()).where(Staff.active.is_(True)).group_by(Staff.role)
    )
    numbers_by_kind = grouped(select(ServiceNumber.kind, func.count()).group_by(ServiceNumber.kind))
    by_specialty = grouped(
        select(Staff.specialty, func.count())
        .where(Staff.role == StaffRole.DOCTOR, Staff.active.is_(True))
        .group_by(Staff.specialty)
    )
    spokes_with_anm = select(Staff.spoke_id).where(
        Staff.role == StaffRole.ANM, Staff.active.is_(True), Staff.spoke_id.is_not(None)
    )
    spokes_with_number = select(ServiceNumber.spoke_id).where(ServiceNumber.spoke_id.is_not(None))
    return {
        "districts": count(select(func.count()).select_from(District)),
        "blocks": count(select(func.count()).select_from(Block)),
        "hubs": count(select(func.count()).select_from(Hub)),
        "spokes": count(select(func.count()).select_from(Spoke)),
        "anms": int(staff_by_role.get(StaffRole.ANM, 0)),
        "doctors": int(staff_by_role.get(StaffRole.DOCTOR, 0)),
        "pharmacists": int(staff_by_role.get(StaffRole.PHARMACIST, 0)),
        "hub_admins": int(staff_by_role.get(StaffRole.HUB_ADMIN, 0)),
        "district_admins": int(staff_by_role.get(StaffRole.DISTRICT_ADMIN, 0)),
        "inactive_staff": count(
            select(func.count()).select_from(Staff).where(Staff.active.is_(False))
        ),
        "doctors_by_specialty": {str(k): int(v) for k, v in sorted(by_specialty.items())},
        "service_numbers": {kind.value: int(numbers_by_kind.get(kind, 0)) for kind in NumberKind},
        "fictional_numbers": count(
            select(func.count()).select_from(ServiceNumber).where(ServiceNumber.fictional.is_(True))
        ),
        "fictional_staff": count(
            select(func.count()).select_from(Staff).where(Staff.fictional.is_(True))
        ),
        "rosters": count(select(func.count()).select_from(Roster)),
        "spokes_without_anm": count(
            select(func.count()).select_from(Spoke).where(Spoke.id.not_in(spokes_with_anm))
        ),
        "spokes_without_number": count(
            select(func.count()).select_from(Spoke).where(Spoke.id.not_in(spokes_with_number))
        ),
    }
