"""What the values in a district file mean: references, uniqueness, phones, staff rules.

:func:`validate` checks a loaded :class:`RegistryDoc` as a whole and returns every
problem with its line; it also normalises every phone number to E.164 in place
(so the importer only ever sees E.164).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from core.phones import InvalidPhoneNumber, classify
from sampark.registry.documents import (
    DISTRICT_NUMBER_KINDS,
    LANGUAGES,
    SPECIALTIES,
    HubDoc,
    Problem,
    RegistryDoc,
    RosterSlot,
    StaffDoc,
)
from sampark.registry.rosters import DAY_NAMES, format_time, minutes_covered

SHORT_CODE = re.compile(r"^[0-9]{3,4}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$")
#: Kinds a patient-facing service number may be (a staff mobile must be a mobile).
SERVICE_NUMBER_KINDS = {"landline", "mobile", "mobile_or_landline", "toll_free", "uan"}
#: Kinds the ambulance / control-room line may be (dialled by Twilio from a live call).
AMBULANCE_NUMBER_KINDS = {"landline", "mobile", "mobile_or_landline"}
_MAX_LEN = {"name": 80, "village": 80, "qualification": 120, "registration_number": 60}


def _hint(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class Validator:
    """Collects every problem in a document (call :meth:`run`)."""

    def __init__(self, doc: RegistryDoc) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.service_numbers: dict[str, int] = {}  # E.164 -> line

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def unique(self, kind: str, seen: dict[str, int], key: str, line: int) -> None:
        if key in seen:
            self.problem(line, f"duplicate {kind} {key!r} (first at line {seen[key]})")
        else:
            seen[key] = line

    def code(self, what: str, value: str, line: int) -> None:
        if value and not CODE.match(value):
            self.problem(line, f"{what} {value!r} must be letters, digits and - _ . / (up to 40)")

    def run(self) -> list[Problem]:
        self.district()
        self.blocks_and_hubs()
        self.spokes()
        self.numbers()
        self.staff()
        return self.problems

    def district(self) -> None:
        district = self.doc.district
        self.code("district code", district.code, district.at("code"))
        if district.std_code and not re.fullmatch(r"0[1-9][0-9]{1,4}", district.std_code):
            self.problem(
                district.at("std_code"),
                f"std_code {district.std_code!r} must be 0 and 2-5 digits (e.g. 06456)",
            )
        self.ambulance_number()

    def ambulance_number(self) -> None:
        """The line an emergency caller is connected to: a landline or mobile, or nothing."""
        district = self.doc.district
        raw = district.ambulance_number
        if not raw:
            return
        line = district.at("ambulance_number")
        if re.fullmatch(r"[0-9]{2,6}", raw.strip()):
            self.problem(
                line,
                f"ambulance_number {raw!r} is a short code: Twilio cannot dial it; give the"
                " district's ambulance or control-room line (10 digits, e.g. 06456-222108),"
                " or leave ambulance_number out (callers are then told to dial 108)",
            )
            return
        try:
            info = classify(raw)
        except InvalidPhoneNumber as exc:
            self.problem(line, f"ambulance_number: invalid phone number {exc}")
            return
        if info.kind not in AMBULANCE_NUMBER_KINDS:
            self.problem(
                line,
                f"ambulance_number {raw!r} is a {info.kind.replace('_', '-')} number;"
                " it must be a 10-digit landline or mobile",
            )
            return
        district.ambulance_number = info.e164

    def blocks_and_hubs(self) -> None:
        seen: dict[str, int] = {}
        for block in self.doc.blocks:
            self.unique("block", seen, block.name.casefold(), block.line)
        seen = {}
        for hub in self.doc.hubs:
            self.code("hub code", hub.code, hub.at("code"))
            self.unique("hub code", seen, hub.code, hub.at("code"))
            if not hub.specialties:
                self.problem(hub.at("specialties"), f"hub {hub.code} offers no specialty")
            for specialty in hub.specialties:
                if specialty not in SPECIALTIES:
                    self.problem(
                        hub.at("specialties"),
                        f"unknown specialty {specialty!r} at hub {hub.code}"
                        f"{_hint(specialty, SPECIALTIES)}",
                    )
            if len(set(hub.specialties)) != len(hub.specialties):
                self.problem(hub.at("specialties"), f"hub {hub.code} lists a specialty twice")

    def spokes(self) -> None:
        blocks = {b.name.casefold(): b.name for b in self.doc.blocks}
        hubs = {h.code for h in self.doc.hubs}
        codes: dict[str, int] = {}
        short_codes: dict[str, int] = {}
        for spoke in self.doc.spokes:
            self.code("spoke code", spoke.code, spoke.at("code"))
            self.unique("spoke code", codes, spoke.code, spoke.at("code"))
            if not SHORT_CODE.match(spoke.short_code):
                self.problem(
                    spoke.at("short_code"),
                    f"short_code {spoke.short_code!r} of {spoke.code} must be 3 or 4 digits",
                )
            else:
                self.unique("short_code", short_codes, spoke.short_code, spoke.at("short_code"))
            if spoke.block and spoke.block.casefold() not in blocks:
                self.problem(
                    spoke.at("block"),
                    f"unknown block {spoke.block!r} for spoke {spoke.code}"
                    f"{_hint(spoke.block, blocks.values())}",
                )
            if spoke.hub and spoke.hub not in hubs:
                self.problem(
                    spoke.at("hub"),
                    f"unknown hub {spoke.hub!r} for spoke {spoke.code}{_hint(spoke.hub, hubs)}",
                )
            if spoke.village and len(spoke.village) > _MAX_LEN["village"]:
                self.problem(spoke.at("village"), "village name is longer than 80 characters")
            if not spoke.numbers:
                self.problem(spoke.line, f"spoke {spoke.code} has no phone number")

    def numbers(self) -> None:
        seen = self.service_numbers
        district_level = {id(n) for n in self.doc.numbers}
        for number in self.doc.all_numbers():
            if id(number) in district_level and number.kind not in DISTRICT_NUMBER_KINDS:
                self.problem(
                    number.at("kind"),
                    f"number kind {number.kind!r} must be district or missed_call",
                )
            try:
                info = classify(number.number)
            except InvalidPhoneNumber as exc:
                self.problem(number.line, f"invalid phone number {exc}")
                continue
            if info.kind not in SERVICE_NUMBER_KINDS:
                self.problem(
                    number.line, f"{number.number!r} is a {info.kind} number, not a service line"
                )
            number.number = info.e164
            self.unique("phone number", seen, info.e164, number.line)

    def staff(self) -> None:
        codes: dict[str, int] = {}
        mobiles: dict[str, int] = {}
        service = self.service_numbers
        hubs = {h.code: h for h in self.doc.hubs}
        ranks: dict[tuple[str, int], int] = {}
        for person in self.doc.staff:
            self.code("staff code", person.code, person.at("code"))
            self.unique("staff code", codes, person.code, person.at("code"))
            if len(person.name) > _MAX_LEN["name"]:
                self.problem(person.at("name"), "name is longer than 80 characters")
            self.mobile(person, mobiles, service)
            self.languages(person)
            if person.role == "anm" and person.spoke:
                key = (person.spoke, person.rank)
                if key in ranks:
                    self.problem(
                        person.at("rank"),
                        f"two ANMs of {person.spoke} have rank {person.rank}"
                        f" (first at line {ranks[key]})",
                    )
                else:
                    ranks[key] = person.at("rank")
            if person.role == "doctor":
                self.doctor(person, hubs)
            self.roster(person)

    def mobile(self, person: StaffDoc, mobiles: dict[str, int], service: dict[str, int]) -> None:
        line = person.at("mobile")
        try:
            info = classify(person.mobile)
        except InvalidPhoneNumber as exc:
            self.problem(line, f"invalid phone number {exc} for {person.code}")
            return
        if not info.is_mobile:
            self.problem(
                line,
                f"{person.mobile!r} of {person.code} is a {info.kind.replace('_', '-')} number;"
                " staff need a mobile (calls and SMS reach them there)",
            )
        person.mobile = info.e164
        self.unique("mobile", mobiles, info.e164, line)
        if info.e164 in service:
            self.problem(
                line,
                f"mobile {info.e164} of {person.code} is also a service number"
                f" (line {service[info.e164]})",
            )

    def languages(self, person: StaffDoc) -> None:
        line = person.at("languages")
        if not person.languages:
            self.problem(line, f"{person.code} has no language (use {', '.join(LANGUAGES)})")
        for language in person.languages:
            if language not in LANGUAGES:
                note = (
                    " (Surjapuri speakers are recorded as hi, ur and/or bn)"
                    if language.startswith("surj")
                    else _hint(language, LANGUAGES)
                )
                self.problem(
                    line,
                    f"unknown language {language!r} for {person.code}; use"
                    f" {', '.join(LANGUAGES)}{note}",
                )
        if len(set(person.languages)) != len(person.languages):
            self.problem(line, f"{person.code} lists a language twice")

    def doctor(self, person: StaffDoc, hubs: dict[str, HubDoc]) -> None:
        if not person.registration_number:
            self.problem(person.line, f"doctor {person.code} has no council registration_number")
        if not person.qualification:
            self.problem(person.line, f"doctor {person.code} has no qualification")
        if not person.specialty:
            self.problem(person.line, f"doctor {person.code} has no specialty")
            return
        if person.specialty not in SPECIALTIES:
            self.problem(
                person.at("specialty"),
                f"unknown specialty {person.specialty!r} for {person.code}"
                f"{_hint(person.specialty, SPECIALTIES)}",
            )
            return
        hub = hubs.get(person.hub or "")
        if hub is not None and person.specialty not in hub.specialties:
            self.problem(
                person.at("specialty"),
                f"doctor {person.code} is a {person.specialty} specialist but hub"
                f" {person.hub} does not list {person.specialty} in its specialties",
            )

    def roster(self, person: StaffDoc) -> None:
        """No two slots of one person may overlap (the week wraps around)."""
        taken: list[tuple[int, int, RosterSlot]] = []
        for slot in person.roster:
            for a, b in minutes_covered(slot.starts, slot.ends):
                start, end = slot.weekday * 1440 + a, slot.weekday * 1440 + b
                for other_start, other_end, other in taken:
                    if _overlap(start, end, other_start, other_end):
                        self.problem(
                            slot.line,
                            f"roster of {person.code}: {DAY_NAMES[slot.weekday]}"
                            f" {format_time(slot.starts)}-{format_time(slot.ends)} overlaps"
                            f" {DAY_NAMES[other.weekday]} {format_time(other.starts)}-"
                            f"{format_time(other.ends)} (line {other.line})",
                        )
                        break
                taken.append((start, end, slot))


def _overlap(a1: int, a2: int, b1: int, b2: int) -> bool:
    week = 7 * 1440
    return any(a1 < b2 + shift and b1 + shift < a2 for shift in (-week, 0, week))


def validate(doc: RegistryDoc) -> list[Problem]:
    """Every problem in ``doc`` (empty when it may be imported); phones become E.164."""
    return Validator(doc).run()
