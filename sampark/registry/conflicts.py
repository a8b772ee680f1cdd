"""Codes and numbers in a district file that the database already gives to someone else."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import District, Hub, ServiceNumber, Spoke, Staff
from sampark.registry.documents import Problem, RegistryDoc


def database_conflicts(session: Session, doc: RegistryDoc) -> list[Problem]:
    """Codes and numbers the file uses that the database gives to someone else."""
    problems: list[Problem] = []
    code = doc.district.code
    hubs = {h.code: h for h in session.scalars(select(Hub).options(selectinload(Hub.district)))}
    for hub in doc.hubs:
        other = hubs.get(hub.code)
        if other is not None and other.district.code != code:
            problems.append(
                Problem(hub.at("code"), f"hub {hub.code} belongs to district {other.district.code}")
            )
    file_spokes = {s.code for s in doc.spokes}
    spokes = list(session.scalars(select(Spoke).options(selectinload(Spoke.block))))
    by_short = {s.short_code: s for s in spokes}
    by_code = {s.code: s for s in spokes}
    district_ids = {d.id: d.code for d in session.scalars(select(District))}
    for spoke in doc.spokes:
        existing = by_code.get(spoke.code)
        if existing is not None and district_ids[existing.block.district_id] != code:
            problems.append(
                Problem(
                    spoke.at("code"),
                    f"spoke {spoke.code} belongs to district"
                    f" {district_ids[existing.block.district_id]}",
                )
            )
        holder = by_short.get(spoke.short_code)
        if holder is not None and holder.code not in file_spokes:
            problems.append(
                Problem(
                    spoke.at("short_code"),
                    f"short_code {spoke.short_code} is already used by spoke {holder.code}"
                    " (not in this file)",
                )
            )
    staff = list(session.scalars(select(Staff)))
    file_staff = {p.code for p in doc.staff}
    staff_by_code = {p.code: p for p in staff}
    staff_by_mobile = {p.mobile: p for p in staff}
    for person in doc.staff:
        existing_staff = staff_by_code.get(person.code)
        if existing_staff is not None and district_ids[existing_staff.district_id] != code:
            problems.append(
                Problem(
                    person.at("code"),
                    f"staff code {person.code} belongs to district"
                    f" {district_ids[existing_staff.district_id]}",
                )
            )
        holder_staff = staff_by_mobile.get(person.mobile)
        if holder_staff is not None and holder_staff.code not in file_staff:
            state = "active" if holder_staff.active else "inactive"
            problems.append(
                Problem(
                    person.at("mobile"),
                    f"mobile {person.mobile} of {person.code} already belongs to {state}"
                    f" staff {holder_staff.code} (not in this file)",
                )
            )
    numbers = {n.number: n for n in session.scalars(select(ServiceNumber))}
    for number in doc.all_numbers():
        existing_number = numbers.get(number.number)
        if existing_number is not None and district_ids[existing_number.district_id] != code:
            problems.append(
                Problem(
                    number.line,
                    f"number {number.number} belongs to district"
                    f" {district_ids[existing_number.district_id]}",
                )
            )
    return problems
