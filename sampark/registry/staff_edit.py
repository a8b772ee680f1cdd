"""A staff change from the portal, made the way ``sampark district import`` makes it.

The district is exported (:func:`export_document`), the one staff record is added,
replaced or taken out of that document, and the document is read back, validated and
imported exactly as a file would be (:func:`load`, :func:`validate`,
:func:`import_registry`). So the browser and the YAML file share every rule (codes,
mobiles, languages, specialties, registration numbers, ranks, rosters, clashes with the
database), and ``sampark district export`` writes the change back unchanged. The
district row is locked for the change, so two admins' changes never undo each other.

Each problem comes back placed at the form field whose line it names (see
:class:`ProblemPlacer`), in the registry's words minus its line numbers.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import District, Staff, StaffRole
from portal.admin_registry import FieldProblem, StaffEntry, register
from sampark.registry.documents import Problem, RegistryInvalid, StaffDoc
from sampark.registry.exporter import dump_document, export_document
from sampark.registry.importer import import_registry
from sampark.registry.loader import load
from sampark.registry.rosters import compact
from sampark.registry.validator import validate

#: Where a role's records sit in a district file: (under a hub/spoke/district, list key).
_PLACES: dict[str, tuple[str, str]] = {
    "district_admin": ("district", "admins"),
    "doctor": ("hubs", "doctors"),
    "pharmacist": ("hubs", "pharmacists"),
    "hub_admin": ("hubs", "admins"),
    "anm": ("spokes", "anms"),
}
_LINE_NOTE = re.compile(r" ?\((?:first at )?line (\d+)\)")
#: Words of the file format, as a district officer says them.
_PLAIN = {
    "registration_number": "registration number",
    "short_code": "short code",
    " (not in this file)": "",
    "staff code": "staff code",
}
#: For problems reported at the record's first line: which field the message is about.
_KEYWORDS = (
    ("registration_number", "registration_number"),
    ("qualification", "qualification"),
    ("specialty", "specialty"),
    ("'mobile'", "mobile"),
    ("'name'", "name"),
    ("'languages'", "languages"),
    ("code", "code"),
)


def _lists(document: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every staff list of a district file's data (district admins, hubs', spokes')."""
    out = [document["district"].setdefault("admins", [])]
    for hub in document["hubs"]:
        out += [hub.setdefault(key, []) for key in ("doctors", "pharmacists", "admins")]
    out += [spoke.setdefault("anms", []) for spoke in document["spokes"]]
    return out


def _take_out(document: dict[str, Any], code: str) -> None:
    for people in _lists(document):
        people[:] = [p for p in people if p["code"] != code]


def _record(entry: StaffEntry, default_fictional: bool) -> dict[str, Any]:
    """``entry`` as a district file's record (the exporter's key order)."""
    out: dict[str, Any] = {"code": entry.code.strip(), "name": entry.name.strip()}
    if entry.role == StaffRole.ANM:
        rank = entry.rank.strip()
        out["rank"] = int(rank) if rank.isdigit() else rank
    if entry.role == StaffRole.DOCTOR:
        out["specialty"] = entry.specialty.strip()
        out["qualification"] = entry.qualification.strip()
        out["registration_number"] = entry.registration_number.strip()
    out["mobile"] = entry.mobile.strip()
    out["languages"] = list(entry.languages)
    if entry.fictional is not None and entry.fictional != default_fictional:
        out["fictional"] = entry.fictional
    rows = [(d.strip(), h.strip()) for d, h in entry.roster if d.strip() or h.strip()]
    if rows:
        out["roster"] = [{"days": d, "hours": h} for d, h in rows]
    return out


def _put_in(document: dict[str, Any], entry: StaffEntry, at: int | None) -> FieldProblem | None:
    """Add ``entry`` to its hub's, spoke's or the district's list (at index ``at``)."""
    where, key = _PLACES[entry.role]
    if where == "district":
        people = document["district"].setdefault(key, [])
    else:
        wanted = entry.hub if where == "hubs" else entry.spoke
        holders = [h for h in document[where] if h["code"] == wanted.strip()]
        if not holders:
            field = "hub" if where == "hubs" else "spoke"
            return FieldProblem(field, f"choose one of the district's {where}")
        people = holders[0].setdefault(key, [])
    record = _record(entry, bool(document["fictional"]))
    people.insert(len(people) if at is None else min(at, len(people)), record)
    return None


def _position(document: dict[str, Any], code: str) -> int | None:
    for people in _lists(document):
        for i, person in enumerate(people):
            if person["code"] == code:
                return i
    return None


class ProblemPlacer:
    """Places each problem of the re-read file at the field of the edited record."""

    def __init__(self, staff: list[StaffDoc], entry: StaffEntry) -> None:
        self.by_line: dict[int, tuple[str, int | None]] = {}
        self.record_lines: set[int] = set()
        code = entry.code.strip()
        rows = len([r for r in entry.roster if r[0].strip() or r[1].strip()])
        for person in staff:
            if person.code != code or person.role != entry.role:
                continue
            self.record_lines.add(person.line)
            for name, line in person.lines.items():
                if name not in ("hub", "spoke"):  # those are the hub's / spoke's lines
                    self.by_line.setdefault(line, (name, None))
            if "roster" in person.lines:
                first = person.lines["roster"]
                for row in range(rows):
                    self.by_line[first + row] = ("roster", row)

    def place(self, problem: Problem) -> FieldProblem:
        target = self.by_line.get(problem.line)
        if problem.line in self.record_lines or target is None:
            target = self._by_words(problem) or target
        message = _LINE_NOTE.sub("", problem.message)
        for word, plain in _PLAIN.items():
            message = message.replace(word, plain)
        if target is None:
            return FieldProblem(None, message)
        return FieldProblem(target[0], message, target[1])

    def _by_words(self, problem: Problem) -> tuple[str, int | None] | None:
        if problem.line in self.record_lines:
            for word, field in _KEYWORDS:
                if word in problem.message:
                    return (field, None)
        # A clash reported at the other record, naming the edited record's line.
        for match in _LINE_NOTE.finditer(problem.message):
            if int(match[1]) in self.by_line:
                return self.by_line[int(match[1])]
        return None


class RegistryStaffEdit:
    """The registry's implementation of ``portal.admin_registry.StaffRegistry``."""

    def save(
        self,
        session: Session,
        district_id: int,
        replaces: str | None,
        entry: StaffEntry | None,
        actor: str,
    ) -> list[FieldProblem]:
        district = session.scalars(
            select(District).where(District.id == district_id).with_for_update()
        ).one()
        document = export_document(session, district.code)
        at = _position(document, replaces) if replaces else None
        if replaces:
            _take_out(document, replaces)
        if entry is not None:
            misplaced = _put_in(document, entry, at)
            if misplaced is not None:
                session.rollback()
                return [misplaced]
        doc, problems = load(dump_document(document))
        problems += validate(doc)
        if not problems:
            try:
                import_registry(session, doc, actor=actor)
            except RegistryInvalid as exc:
                problems = exc.problems
        if not problems:
            return []
        session.rollback()
        if entry is None:
            return [FieldProblem(None, _LINE_NOTE.sub("", p.message)) for p in problems]
        placer = ProblemPlacer(doc.staff, entry)
        return [placer.place(p) for p in sorted(problems, key=lambda p: p.line)]

    def roster_rows(self, staff: Staff) -> list[tuple[str, str]]:
        slots = sorted((r.weekday, r.starts, r.ends) for r in staff.rosters)
        return [(row["days"], row["hours"]) for row in compact(slots)]

    def entry_of(self, staff: Staff) -> StaffEntry:
        return StaffEntry(
            code=staff.code,
            name=staff.name,
            role=staff.role.value,
            mobile=staff.mobile,
            languages=list(staff.languages),
            hub=staff.hub.code if staff.hub else "",
            spoke=staff.spoke.code if staff.spoke else "",
            rank=str(staff.rank),
            specialty=staff.specialty or "",
            qualification=staff.qualification or "",
            registration_number=staff.registration_number or "",
            roster=self.roster_rows(staff),
            fictional=staff.fictional,
        )


def wire() -> None:
    """Give the portal's staff pages this implementation."""
    register(RegistryStaffEdit())
