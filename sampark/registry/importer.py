"""Write a validated district document into the database: an upsert keyed by codes.

Re-importing updates rows in place (ids never change, nothing is duplicated).
Staff no longer in the file are marked inactive, never deleted (consultations
refer to them). Hubs, spokes and blocks no longer in the file are kept and
reported. Service numbers of the district that the file no longer lists are
removed (they would otherwise keep routing calls). The caller's session is the
one transaction: nothing is committed here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import (
    AuditEvent,
    Block,
    District,
    Hub,
    NumberKind,
    Roster,
    ServiceNumber,
    Spoke,
    Staff,
    StaffRole,
)
from sampark.registry.conflicts import database_conflicts
from sampark.registry.documents import RegistryDoc, RegistryInvalid, StaffDoc


@dataclass
class ImportReport:
    """What an import did, per kind of record."""

    district: str = ""
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    deactivated: list[str] = field(default_factory=list)  # staff codes
    removed_numbers: list[str] = field(default_factory=list)
    kept_not_in_file: list[str] = field(default_factory=list)  # hubs/spokes/blocks

    def as_dict(self) -> dict[str, Any]:
        return {
            "district": self.district,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "deactivated": self.deactivated,
            "removed_numbers": self.removed_numbers,
            "kept_not_in_file": self.kept_not_in_file,
        }

    def summary(self) -> str:
        kinds = ("blocks", "hubs", "spokes", "numbers", "staff", "rosters")
        parts = [
            f"{kind}: {self.created[kind]} new, {self.updated[kind]} updated,"
            f" {self.unchanged[kind]} unchanged"
            for kind in kinds
        ]
        lines = [f"district {self.district} imported", *parts]
        if self.deactivated:
            lines.append(f"staff marked inactive: {', '.join(self.deactivated)}")
        if self.removed_numbers:
            lines.append(f"service numbers removed: {', '.join(self.removed_numbers)}")
        if self.kept_not_in_file:
            lines.append(f"kept although not in the file: {', '.join(self.kept_not_in_file)}")
        return "\n".join(lines)


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class Importer:
    """One import of one document into one session."""

    def __init__(self, session: Session, doc: RegistryDoc, actor: str = "district import") -> None:
        self.s = session
        self.doc = doc
        self.actor = actor
        self.report = ImportReport(district=doc.district.code)

    def count(self, kind: str, created: bool, changed: bool) -> None:
        bucket = (
            self.report.created
            if created
            else (self.report.updated if changed else self.report.unchanged)
        )
        bucket[kind] += 1

    # -- writing ---------------------------------------------------------------

    def run(self) -> ImportReport:
        problems = database_conflicts(self.s, self.doc)
        if problems:
            raise RegistryInvalid(problems)
        district = self.district()
        blocks = self.blocks(district)
        hubs = self.hubs(district)
        self.s.flush()
        spokes = self.spokes(district, blocks, hubs)
        self.numbers(district, spokes)
        self.staff(district, hubs, spokes)
        self.s.flush()
        self.s.add(
            AuditEvent(
                actor=self.actor,
                action="district.import",
                subject_type="district",
                subject_id=district.id,
                detail=self.report.as_dict(),
            )
        )
        self.s.flush()
        return self.report

    def district(self) -> District:
        d = self.doc.district
        district = self.s.scalar(select(District).where(District.code == d.code))
        values = {
            "name": d.name,
            "state": d.state,
            "std_code": d.std_code,
            "ambulance_number": d.ambulance_number,
        }
        created = district is None
        if district is None:
            district = District(code=d.code)
            self.s.add(district)
        changed = _assign(district, values)
        self.s.flush()
        self.count("district", created, changed)
        return district

    def blocks(self, district: District) -> dict[str, Block]:
        existing = {b.name.casefold(): b for b in district.blocks}
        out: dict[str, Block] = {}
        for doc in self.doc.blocks:
            block = existing.pop(doc.name.casefold(), None)
            created = block is None
            if block is None:
                block = Block(district=district, name=doc.name)
                self.s.add(block)
            self.count("blocks", created, _assign(block, {"name": doc.name}))
            out[doc.name.casefold()] = block
        self.report.kept_not_in_file += [f"block {b.name}" for b in existing.values()]
        return out

    def hubs(self, district: District) -> dict[str, Hub]:
        existing = {h.code: h for h in district.hubs}
        out: dict[str, Hub] = {}
        for doc in self.doc.hubs:
            hub = existing.pop(doc.code, None)
            created = hub is None
            if hub is None:
                hub = Hub(district=district, code=doc.code)
                self.s.add(hub)
            values = {"name": doc.name, "kind": doc.kind, "specialties": list(doc.specialties)}
            self.count("hubs", created, _assign(hub, values))
            out[doc.code] = hub
        self.report.kept_not_in_file += [f"hub {h.code}" for h in existing.values()]
        return out

    def spokes(
        self, district: District, blocks: dict[str, Block], hubs: dict[str, Hub]
    ) -> dict[str, Spoke]:
        existing = {
            s.code: s
            for s in self.s.scalars(
                select(Spoke).join(Block).where(Block.district_id == district.id)
            )
        }
        file_codes = {doc.code for doc in self.doc.spokes}
        # Free short codes that move between spokes (a swap) before assigning them.
        moving = [s for s in existing.values() if s.code in file_codes]
        wanted = {doc.code: doc.short_code for doc in self.doc.spokes}
        for spoke in moving:
            if spoke.short_code != wanted[spoke.code]:
                spoke.short_code = f"~{spoke.id}"
        self.s.flush()
        out: dict[str, Spoke] = {}
        for doc in self.doc.spokes:
            found = existing.get(doc.code)
            created = found is None
            spoke = found if found is not None else Spoke(code=doc.code)
            if created:
                self.s.add(spoke)
            values = {
                "short_code": doc.short_code,
                "name": doc.name,
                "village": doc.village,
                "block": blocks[doc.block.casefold()],
                "hub": hubs[doc.hub],
            }
            self.count("spokes", created, _assign(spoke, values))
            out[doc.code] = spoke
        self.report.kept_not_in_file += [
            f"spoke {code}" for code in sorted(existing.keys() - file_codes)
        ]
        return out

    def numbers(self, district: District, spokes: dict[str, Spoke]) -> None:
        existing = {
            n.number: n
            for n in self.s.scalars(
                select(ServiceNumber).where(ServiceNumber.district_id == district.id)
            )
        }
        wanted: list[tuple[str, NumberKind, Spoke | None, bool]] = [
            (n.number, NumberKind(n.kind), None, n.fictional) for n in self.doc.numbers
        ]
        for doc in self.doc.spokes:
            wanted += [
                (n.number, NumberKind.SPOKE, spokes[doc.code], n.fictional) for n in doc.numbers
            ]
        for number, kind, spoke, fictional in wanted:
            row = existing.pop(number, None)
            created = row is None
            if row is None:
                row = ServiceNumber(number=number, district_id=district.id)
                self.s.add(row)
            values = {"kind": kind, "spoke": spoke, "fictional": fictional}
            self.count("numbers", created, _assign(row, values))
        for number, row in sorted(existing.items()):
            self.report.removed_numbers.append(number)
            self.s.delete(row)
        self.s.flush()

    def staff(self, district: District, hubs: dict[str, Hub], spokes: dict[str, Spoke]) -> None:
        existing = {
            p.code: p
            for p in self.s.scalars(
                select(Staff)
                .where(Staff.district_id == district.id)
                .options(selectinload(Staff.rosters))
            )
        }
        wanted = {doc.code: doc for doc in self.doc.staff}
        # Free mobiles that move between people (a swap) before assigning them.
        for code, person in existing.items():
            if code in wanted and person.mobile != wanted[code].mobile:
                person.mobile = f"~{person.id}"
        self.s.flush()
        for doc in self.doc.staff:
            known = existing.pop(doc.code, None)
            created = known is None
            person = known if known is not None else Staff(code=doc.code, district_id=district.id)
            if created:
                self.s.add(person)
            changed = _assign(person, self.staff_values(doc, hubs, spokes))
            self.count("staff", created, changed)
            self.rosters(person, doc)
        for code, person in sorted(existing.items()):
            if person.active:
                person.active = False
                self.report.deactivated.append(code)

    @staticmethod
    def staff_values(
        doc: StaffDoc, hubs: dict[str, Hub], spokes: dict[str, Spoke]
    ) -> dict[str, Any]:
        return {
            "name": doc.name,
            "role": StaffRole(doc.role),
            "mobile": doc.mobile,
            "languages": list(doc.languages),
            "spoke": spokes[doc.spoke] if doc.spoke else None,
            "hub": hubs[doc.hub] if doc.hub else None,
            "specialty": doc.specialty if doc.role == "doctor" else None,
            "qualification": doc.qualification,
            "registration_number": doc.registration_number,
            "rank": doc.rank,
            "fictional": doc.fictional,
            "active": True,
        }

    def rosters(self, person: Staff, doc: StaffDoc) -> None:
        """Diff the person's slots by (weekday, start), so unchanged slots keep their ids."""
        current: dict[tuple[int, time], Roster] = {(r.weekday, r.starts): r for r in person.rosters}
        for slot in doc.roster:
            row = current.pop((slot.weekday, slot.starts), None)
            if row is None:
                person.rosters.append(
                    Roster(weekday=slot.weekday, starts=slot.starts, ends=slot.ends)
                )
                self.count("rosters", True, True)
            else:
                self.count("rosters", False, _assign(row, {"ends": slot.ends}))
        for row in current.values():
            person.rosters.remove(row)


def import_registry(
    session: Session, doc: RegistryDoc, actor: str = "district import"
) -> ImportReport:
    """Upsert a validated document in ``session`` (flushed, not committed); ``actor`` is
    who the audit row names (the portal passes the admin's staff code).

    Raises:
        RegistryInvalid: the database already gives a code or number in the file to
            something outside it (nothing has been written).
    """
    return Importer(session, doc, actor).run()
