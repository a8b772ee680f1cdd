"""The staff form: what the admin typed as a :class:`StaffEntry`, its problems by field,
and a staff member as the audit records them (before and after a change)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from models import Hub, Spoke, Staff, StaffRole
from portal.admin_registry import FieldProblem, StaffEntry

#: Roles an admin manages, in the order the pages list them.
ROLE_LABELS: dict[str, LazyString] = {
    StaffRole.ANM.value: lazy_gettext("ANM"),
    StaffRole.DOCTOR.value: lazy_gettext("Doctor"),
    StaffRole.PHARMACIST.value: lazy_gettext("Pharmacist"),
    StaffRole.HUB_ADMIN.value: lazy_gettext("Hub admin"),
    StaffRole.DISTRICT_ADMIN.value: lazy_gettext("District admin"),
}
#: Roles listed under a hub (the others: ANMs under a spoke, district admins nowhere).
HUB_ROLES = frozenset({StaffRole.DOCTOR.value, StaffRole.PHARMACIST.value, "hub_admin"})
#: Languages staff are recorded in (the registry's; Surjapuri speakers as hi, ur and/or bn).
STAFF_LANGUAGES = ("hi", "ur", "bn", "en")
#: Empty roster rows offered below the filled ones.
SPARE_ROSTER_ROWS = 3
_MAX = 200  # characters kept of any one field


def entry_from_form(form: MultiDict[str, str], role: str) -> StaffEntry:
    """The staff form as typed (roster rows ``roster_days_N`` / ``roster_hours_N``)."""

    def text(name: str) -> str:
        return form.get(name, "")[:_MAX].strip()

    count = form.get("roster_rows", "")
    typed = [
        (text(f"roster_days_{n}"), text(f"roster_hours_{n}"))
        for n in range(min(int(count), 50) if count.isdigit() else 0)
    ]
    rows = [(days, hours) for days, hours in typed if days or hours]  # empty rows: removed
    return StaffEntry(
        code=text("code"),
        name=text("name"),
        role=role,
        mobile=text("mobile"),
        languages=[code for code in STAFF_LANGUAGES if code in form.getlist("languages")],
        hub=text("hub") if role in HUB_ROLES else "",
        spoke=text("spoke") if role == StaffRole.ANM.value else "",
        rank=text("rank") or "1",
        specialty=text("specialty"),
        qualification=text("qualification"),
        registration_number=text("registration_number"),
        roster=rows,
    )


@dataclass
class FormProblems:
    """Problems by field, roster problems by row, and those that belong to no field."""

    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    general: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> FormProblems:
        out = cls()
        for p in problems:
            if p.field == "roster" and p.row is not None:
                out.rows[p.row].append(p.message)
            elif p.field:
                out.fields[p.field].append(p.message)
            else:
                out.general.append(p.message)
        return out

    def __bool__(self) -> bool:
        return bool(self.fields or self.rows or self.general)


def form_rows(entry: StaffEntry) -> list[tuple[str, str]]:
    """The roster rows to show: the filled ones and a few empty ones to add to."""
    return list(entry.roster) + [("", "")] * SPARE_ROSTER_ROWS


def district_places(db: Session, district_id: int) -> tuple[list[Hub], list[Spoke]]:
    """The district's hubs and spokes (for the form's choices and the list's filters)."""
    hubs = list(db.scalars(select(Hub).where(Hub.district_id == district_id).order_by(Hub.code)))
    spokes = list(
        db.scalars(select(Spoke).where(Spoke.hub_id.in_([h.id for h in hubs])).order_by(Spoke.code))
    )
    return hubs, spokes


def specialties(hubs: list[Hub]) -> list[str]:
    """Every specialty some hub of the district lists (the registry checks the doctor's hub)."""
    return sorted({s for hub in hubs for s in hub.specialties})


def snapshot(staff: Staff) -> dict[str, Any]:
    """A staff member as the audit keeps them (``before`` / ``after`` of a change)."""
    return {
        "code": staff.code,
        "name": staff.name,
        "role": staff.role.value,
        "mobile": staff.mobile,
        "languages": list(staff.languages),
        "hub": staff.hub.code if staff.hub else None,
        "spoke": staff.spoke.code if staff.spoke else None,
        "rank": staff.rank,
        "specialty": staff.specialty,
        "qualification": staff.qualification,
        "registration_number": staff.registration_number,
        "active": staff.active,
        "roster": sorted(
            f"{r.weekday} {r.starts.isoformat()}-{r.ends.isoformat()}" for r in staff.rosters
        ),
    }
