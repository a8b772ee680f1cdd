"""The district file as plain data: what the loader reads and the importer writes.

Every record keeps the line it starts on (``line``) and the line of each of its
fields (``lines``), so that any problem found later can name the exact line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

#: Languages staff and patients are recorded in. Surjapuri has no script of its own;
#: its speakers are recorded as speaking hi, ur and/or bn.
LANGUAGES = ("hi", "ur", "bn", "en")

#: Specialty keys; the IVR routes complaints to the first four.
SPECIALTIES = (
    "general_medicine",
    "paediatrics",
    "obgyn",
    "dermatology",
    "ent",
    "ophthalmology",
    "orthopaedics",
    "psychiatry",
    "surgery",
    "dental",
)

#: Kinds of district-level service numbers (spoke numbers are listed under their spoke).
DISTRICT_NUMBER_KINDS = ("district", "missed_call")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, at a 1-based line number."""

    line: int
    message: str

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: {self.message}"


class RegistryInvalid(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.message))
        super().__init__(f"{len(self.problems)} problem(s) in the district file")


@dataclass
class Record:
    """Common part of every record: where it is in the file."""

    line: int = 0
    lines: dict[str, int] = field(default_factory=dict)

    def at(self, name: str) -> int:
        """The line of field ``name`` (or of the record when the field is absent)."""
        return self.lines.get(name, self.line)


@dataclass
class NumberDoc(Record):
    """A service number: a spoke's own, the district-wide line, or the missed-call line."""

    number: str = ""  # as written; E.164 after validation
    kind: str = "spoke"
    fictional: bool = False


@dataclass
class RosterSlot:
    """A weekly duty slot in IST (weekday 0 = Monday); ``ends <= starts`` runs overnight."""

    weekday: int
    starts: time
    ends: time
    line: int = 0


@dataclass
class StaffDoc(Record):
    """Anyone who works in the service; ``role`` follows from where the record is listed."""

    code: str = ""
    name: str = ""
    role: str = ""  # anm | doctor | pharmacist | hub_admin | district_admin
    mobile: str = ""  # as written; E.164 after validation
    languages: list[str] = field(default_factory=list)
    spoke: str | None = None
    hub: str | None = None
    specialty: str | None = None
    qualification: str | None = None
    registration_number: str | None = None
    rank: int = 1
    fictional: bool = False
    roster: list[RosterSlot] = field(default_factory=list)


@dataclass
class SpokeDoc(Record):
    code: str = ""
    short_code: str = ""
    name: str = ""
    village: str | None = None
    block: str = ""
    hub: str = ""
    numbers: list[NumberDoc] = field(default_factory=list)


@dataclass
class HubDoc(Record):
    code: str = ""
    name: str = ""
    kind: str = ""
    specialties: list[str] = field(default_factory=list)


@dataclass
class BlockDoc(Record):
    name: str = ""


@dataclass
class DistrictDoc(Record):
    code: str = ""
    name: str = ""
    state: str = ""
    std_code: str | None = None
    ambulance_number: str = ""  # E.164 after validation; "" = none (callers dial 108)


@dataclass
class RegistryDoc:
    """A whole district file."""

    fictional: bool = False
    district: DistrictDoc = field(default_factory=DistrictDoc)
    numbers: list[NumberDoc] = field(default_factory=list)  # district-level numbers
    blocks: list[BlockDoc] = field(default_factory=list)
    hubs: list[HubDoc] = field(default_factory=list)
    spokes: list[SpokeDoc] = field(default_factory=list)
    staff: list[StaffDoc] = field(default_factory=list)

    def all_numbers(self) -> list[NumberDoc]:
        """District-level and spoke numbers, in file order."""
        return self.numbers + [n for s in self.spokes for n in s.numbers]
