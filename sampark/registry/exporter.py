"""The registry back out as a district YAML file (numbers in E.164) that re-imports as is."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Block, District, Hub, NumberKind, ServiceNumber, Spoke, Staff, StaffRole
from sampark.registry.rosters import compact

HEADER = (
    "# Sampark district registry, written by `sampark district export`.\n"
    "# Numbers are E.164; rosters are IST. Import with `sampark district import FILE`.\n"
)


class NoDistrict(LookupError):
    """No district (or not the one asked for) is in the database."""


def staff_record(person: Staff, default_fictional: bool) -> dict[str, Any]:
    """One ``STAFF`` record of a district file (``fictional`` only where it differs)."""
    out: dict[str, Any] = {"code": person.code, "name": person.name}
    if person.role == StaffRole.ANM:
        out["rank"] = person.rank
    if person.role == StaffRole.DOCTOR:
        out["specialty"] = person.specialty
        out["qualification"] = person.qualification
        out["registration_number"] = person.registration_number
    out["mobile"] = person.mobile
    out["languages"] = list(person.languages)
    if person.fictional != default_fictional:
        out["fictional"] = person.fictional
    slots = sorted((r.weekday, r.starts, r.ends) for r in person.rosters)
    if slots:
        out["roster"] = compact(slots)
    return out


def _number(row: ServiceNumber, default_fictional: bool, *, with_kind: bool) -> Any:
    if not with_kind and row.fictional == default_fictional:
        return row.number
    out: dict[str, Any] = {"number": row.number}
    if with_kind:
        out["kind"] = row.kind.value
    if row.fictional != default_fictional:
        out["fictional"] = row.fictional
    return out


def pick_district(session: Session, code: str | None) -> District:
    """The district ``code``, or the only one in the database."""
    districts = list(session.scalars(select(District).order_by(District.id)))
    if code is not None:
        districts = [d for d in districts if d.code == code]
    if len(districts) != 1:
        found = ", ".join(d.code for d in districts) or "none"
        raise NoDistrict(
            f"district {code!r} not found" if code else f"name one district (found: {found})"
        )
    return districts[0]


def export_document(session: Session, district_code: str | None = None) -> dict[str, Any]:
    """The district as the plain data of a district file."""
    district = pick_district(session, district_code)
    staff = list(
        session.scalars(
            select(Staff)
            .where(Staff.district_id == district.id, Staff.active.is_(True))
            .options(selectinload(Staff.rosters))
            .order_by(Staff.id)
        )
    )
    numbers = list(
        session.scalars(
            select(ServiceNumber)
            .where(ServiceNumber.district_id == district.id)
            .order_by(ServiceNumber.id)
        )
    )
    fictional = (
        bool(staff or numbers)
        and all(p.fictional for p in staff)
        and all(n.fictional for n in numbers)
    )
    hubs = list(session.scalars(select(Hub).where(Hub.district_id == district.id).order_by(Hub.id)))
    blocks = list(
        session.scalars(select(Block).where(Block.district_id == district.id).order_by(Block.id))
    )
    spokes = list(
        session.scalars(
            select(Spoke)
            .join(Block)
            .where(Block.district_id == district.id)
            .options(selectinload(Spoke.block), selectinload(Spoke.hub))
            .order_by(Spoke.id)
        )
    )

    def people(role: StaffRole, **where: int) -> list[dict[str, Any]]:
        chosen = [
            p for p in staff if p.role == role and all(getattr(p, k) == v for k, v in where.items())
        ]
        return [staff_record(p, fictional) for p in chosen]

    district_doc: dict[str, Any] = {
        "code": district.code,
        "name": district.name,
        "state": district.state,
        "std_code": district.std_code,
        "ambulance_number": district.ambulance_number,
        "numbers": [
            _number(n, fictional, with_kind=True) for n in numbers if n.kind != NumberKind.SPOKE
        ],
        "admins": people(StaffRole.DISTRICT_ADMIN),
    }
    if district_doc["std_code"] is None:
        del district_doc["std_code"]
    if not district_doc["ambulance_number"]:
        del district_doc["ambulance_number"]
    hub_docs = []
    for hub in hubs:
        hub_doc: dict[str, Any] = {
            "code": hub.code,
            "name": hub.name,
            "kind": hub.kind,
            "specialties": list(hub.specialties),
            "doctors": people(StaffRole.DOCTOR, hub_id=hub.id),
            "pharmacists": people(StaffRole.PHARMACIST, hub_id=hub.id),
            "admins": people(StaffRole.HUB_ADMIN, hub_id=hub.id),
        }
        hub_docs.append({k: v for k, v in hub_doc.items() if v != [] or k == "specialties"})
    spoke_docs = []
    for spoke in spokes:
        spoke_doc: dict[str, Any] = {
            "code": spoke.code,
            "short_code": spoke.short_code,
            "name": spoke.name,
            "village": spoke.village,
            "block": spoke.block.name,
            "hub": spoke.hub.code,
            "numbers": [
                _number(n, fictional, with_kind=False)
                for n in numbers
                if n.kind == NumberKind.SPOKE and n.spoke_id == spoke.id
            ],
            "anms": people(StaffRole.ANM, spoke_id=spoke.id),
        }
        if spoke.village is None:
            del spoke_doc["village"]
        spoke_docs.append(spoke_doc)
    return {
        "fictional": fictional,
        "district": district_doc,
        "blocks": [b.name for b in blocks],
        "hubs": hub_docs,
        "spokes": spoke_docs,
    }


def export_yaml(session: Session, district_code: str | None = None) -> str:
    """The district as YAML text (see :func:`export_document`)."""
    return dump_document(export_document(session, district_code))


def dump_document(document: dict[str, Any]) -> str:
    """A district file's plain data (:func:`export_document`'s shape) as YAML text."""
    body = yaml.safe_dump(
        document,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    return HEADER + body
