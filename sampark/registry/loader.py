"""Read a district YAML file into :class:`RegistryDoc`, with a line number for everything.

The file is parsed with PyYAML's compose API, so every node keeps its position.
Scalars are read as written (no YAML 1.1 surprises: ``17:00`` stays a time, not
sexagesimal 1020; ``09431012345`` stays a phone number, not an octal mistake).
The loader checks the file's shape (known keys, required fields, types, roster
notation); :mod:`sampark.registry.validator` checks what the values mean.

Shape (see ``data/kishanganj.yaml``)::

    fictional: true                     # default for every number and person below
    district: {code, name, state, std_code, ambulance_number,
               numbers: [{number, kind: district|missed_call, fictional?}],
               admins: [STAFF]}
    blocks: [Kishanganj, Pothia, ...]
    hubs: [{code, name, kind, specialties: [...],
            doctors: [STAFF + specialty, qualification, registration_number],
            pharmacists: [STAFF], admins: [STAFF]}]
    spokes: [{code, short_code, name, village, block, hub,
              numbers: ["06456-2xxxxx" | {number, fictional}],
              anms: [STAFF + rank]}]
    STAFF = {code, name, mobile, languages: [hi|ur|bn|en], fictional?,
             roster: [{days: mon-sat, hours: "09:00-13:00"}]}
"""

from __future__ import annotations

from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sampark.registry.documents import (
    BlockDoc,
    DistrictDoc,
    HubDoc,
    NumberDoc,
    Problem,
    Record,
    RegistryDoc,
    RosterSlot,
    SpokeDoc,
    StaffDoc,
)
from sampark.registry.rosters import RosterSyntaxError, parse_days, parse_hours

_STAFF_FIELDS = {"code", "name", "mobile", "languages", "fictional", "roster"}
_ROLE_FIELDS = {
    "anm": _STAFF_FIELDS | {"rank"},
    "doctor": _STAFF_FIELDS | {"specialty", "qualification", "registration_number"},
    "pharmacist": _STAFF_FIELDS,
    "hub_admin": _STAFF_FIELDS,
    "district_admin": _STAFF_FIELDS,
}
_NULL = "tag:yaml.org,2002:null"
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}

R = TypeVar("R", bound=Record)
#: libyaml when present (15x faster on the 230-spoke sample); both keep node positions.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


class Loader:
    """Turns composed YAML nodes into documents, collecting every problem found."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    # -- generic node readers -------------------------------------------------

    def mapping(
        self, node: Node, what: str, required: set[str], optional: set[str]
    ) -> dict[str, Node] | None:
        """A mapping's fields by key; reports unknown, duplicate and missing keys."""
        if not isinstance(node, MappingNode):
            self.problem(line_of(node), f"{what} must be a mapping of fields")
            return None
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            if key in fields:
                self.problem(line_of(key_node), f"{what}: field {key!r} given twice")
            elif key not in required | optional:
                known = ", ".join(sorted(required | optional))
                self.problem(line_of(key_node), f"{what}: unknown field {key!r} (known: {known})")
            else:
                fields[key] = value_node
        for key in sorted(required - fields.keys()):
            self.problem(line_of(node), f"{what}: missing field {key!r}")
        return fields

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return []
        if not isinstance(node, SequenceNode):
            self.problem(line_of(node), f"{what} must be a list")
            return []
        return list(node.value)

    def text(self, node: Node | None, what: str, *, optional: bool = False) -> str | None:
        """A scalar exactly as written (stripped); ``None`` for null or absent."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.problem(line_of(node), f"{what} must be a single value, not a list or mapping")
            return None
        if node.tag == _NULL or not str(node.value).strip():
            if not optional:
                self.problem(line_of(node), f"{what} must not be empty")
            return None
        return str(node.value).strip()

    def flag(self, node: Node | None, what: str, default: bool) -> bool:
        value = self.text(node, what)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.problem(line_of(node) if node else 0, f"{what} must be true or false, not {value!r}")
        return default

    def texts(self, node: Node | None, what: str) -> list[str]:
        """A list of scalars; a single scalar counts as a list of one."""
        if isinstance(node, ScalarNode) and node.tag != _NULL:
            value = self.text(node, what)
            return [v.strip() for v in value.split(",") if v.strip()] if value else []
        return [v for item in self.sequence(node, what) if (v := self.text(item, what))]

    def record(self, cls: type[R], node: Node, fields: dict[str, Node]) -> R:
        doc = cls()
        doc.line = line_of(node)
        doc.lines = {key: line_of(value) for key, value in fields.items()}
        return doc

    # -- the district file -------------------------------------------------------

    def load(self, root: Node | None) -> RegistryDoc:
        doc = RegistryDoc()
        if root is None:
            self.problem(1, "the file is empty")
            return doc
        top = self.mapping(
            root, "the file", {"district", "blocks", "hubs", "spokes"}, {"fictional"}
        )
        if top is None:
            return doc
        doc.fictional = self.flag(top.get("fictional"), "fictional", False)
        if "district" in top:
            self.district(top["district"], doc)
        for item in self.sequence(top.get("blocks"), "blocks"):
            self.block(item, doc)
        for item in self.sequence(top.get("hubs"), "hubs"):
            self.hub(item, doc)
        for item in self.sequence(top.get("spokes"), "spokes"):
            self.spoke(item, doc)
        return doc

    def district(self, node: Node, doc: RegistryDoc) -> None:
        fields = self.mapping(
            node,
            "district",
            {"code", "name", "state"},
            {"std_code", "ambulance_number", "emergency_number", "numbers", "admins"},
        )
        if fields is None:
            return
        district = self.record(DistrictDoc, node, fields)
        district.code = self.text(fields.get("code"), "district code") or ""
        district.name = self.text(fields.get("name"), "district name") or ""
        district.state = self.text(fields.get("state"), "district state") or ""
        district.std_code = self.text(fields.get("std_code"), "std_code", optional=True)
        district.ambulance_number = (
            self.text(fields.get("ambulance_number"), "ambulance_number", optional=True) or ""
        )
        if "emergency_number" in fields:  # files written before ambulance_number
            self.problem(
                line_of(fields["emergency_number"]),
                "emergency_number is no longer read: give the district's ambulance or"
                " control-room line as ambulance_number (10 digits), or leave it out;"
                " a short code such as 108 cannot be dialled by Twilio",
            )
        doc.district = district
        for item in self.sequence(fields.get("numbers"), "district numbers"):
            number = self.number(item, doc.fictional, kind=None)
            if number is not None:
                doc.numbers.append(number)
        for item in self.sequence(fields.get("admins"), "district admins"):
            self.staff(item, "district_admin", doc, doc.fictional)

    def block(self, node: Node, doc: RegistryDoc) -> None:
        if isinstance(node, MappingNode):
            fields = self.mapping(node, "block", {"name"}, set())
            if fields is None or "name" not in fields:
                return
            name_node: Node = fields["name"]
        else:
            name_node = node
        name = self.text(name_node, "block name")
        if name:
            block = BlockDoc(line=line_of(name_node), name=name)
            doc.blocks.append(block)

    def hub(self, node: Node, doc: RegistryDoc) -> None:
        fields = self.mapping(
            node,
            "hub",
            {"code", "name", "kind", "specialties"},
            {"doctors", "pharmacists", "admins", "fictional"},
        )
        if fields is None:
            return
        hub = self.record(HubDoc, node, fields)
        hub.code = self.text(fields.get("code"), "hub code") or ""
        hub.name = self.text(fields.get("name"), "hub name") or ""
        hub.kind = self.text(fields.get("kind"), "hub kind") or ""
        hub.specialties = self.texts(fields.get("specialties"), "hub specialties")
        doc.hubs.append(hub)
        fictional = self.flag(fields.get("fictional"), "fictional", doc.fictional)
        for key, role in (
            ("doctors", "doctor"),
            ("pharmacists", "pharmacist"),
            ("admins", "hub_admin"),
        ):
            for item in self.sequence(fields.get(key), f"hub {key}"):
                staff = self.staff(item, role, doc, fictional)
                if staff is not None:
                    staff.hub = hub.code
                    staff.lines.setdefault("hub", hub.line)

    def spoke(self, node: Node, doc: RegistryDoc) -> None:
        fields = self.mapping(
            node,
            "spoke",
            {"code", "short_code", "name", "block", "hub"},
            {"village", "numbers", "anms", "fictional"},
        )
        if fields is None:
            return
        spoke = self.record(SpokeDoc, node, fields)
        spoke.code = self.text(fields.get("code"), "spoke code") or ""
        spoke.short_code = self.text(fields.get("short_code"), "spoke short_code") or ""
        spoke.name = self.text(fields.get("name"), "spoke name") or ""
        spoke.village = self.text(fields.get("village"), "village", optional=True)
        spoke.block = self.text(fields.get("block"), "spoke block") or ""
        spoke.hub = self.text(fields.get("hub"), "spoke hub") or ""
        fictional = self.flag(fields.get("fictional"), "fictional", doc.fictional)
        for item in self.sequence(fields.get("numbers"), "spoke numbers"):
            number = self.number(item, fictional, kind="spoke")
            if number is not None:
                spoke.numbers.append(number)
        doc.spokes.append(spoke)
        for item in self.sequence(fields.get("anms"), "spoke anms"):
            staff = self.staff(item, "anm", doc, fictional)
            if staff is not None:
                staff.spoke = spoke.code
                staff.lines.setdefault("spoke", spoke.line)

    def number(self, node: Node, fictional: bool, kind: str | None) -> NumberDoc | None:
        """A number as a plain value or ``{number, kind, fictional}``."""
        if not isinstance(node, MappingNode):
            value = self.text(node, "number")
            if value is None:
                return None
            if kind is None:
                self.problem(line_of(node), "district numbers need a kind (district|missed_call)")
                return None
            return NumberDoc(line=line_of(node), number=value, kind=kind, fictional=fictional)
        required = {"number"} | ({"kind"} if kind is None else set())
        optional = {"fictional"}
        fields = self.mapping(node, "number", required, optional)
        if fields is None:
            return None
        doc = self.record(NumberDoc, node, fields)
        doc.line = doc.at("number")
        doc.number = self.text(fields.get("number"), "number") or ""
        doc.kind = self.text(fields.get("kind"), "number kind") or kind or ""
        doc.fictional = self.flag(fields.get("fictional"), "fictional", fictional)
        return doc if doc.number else None

    def staff(self, node: Node, role: str, doc: RegistryDoc, fictional: bool) -> StaffDoc | None:
        allowed = _ROLE_FIELDS[role]
        what = role.replace("_", " ")
        fields = self.mapping(node, what, {"code", "name", "mobile", "languages"}, allowed)
        if fields is None:
            return None
        staff = self.record(StaffDoc, node, fields)
        staff.role = role
        staff.code = self.text(fields.get("code"), f"{what} code") or ""
        staff.name = self.text(fields.get("name"), f"{what} name") or ""
        staff.mobile = self.text(fields.get("mobile"), f"{what} mobile") or ""
        staff.languages = [v.lower() for v in self.texts(fields.get("languages"), "languages")]
        staff.fictional = self.flag(fields.get("fictional"), "fictional", fictional)
        staff.specialty = self.text(fields.get("specialty"), "specialty", optional=True)
        staff.qualification = self.text(fields.get("qualification"), "qualification", optional=True)
        staff.registration_number = self.text(
            fields.get("registration_number"), "registration_number", optional=True
        )
        rank = self.text(fields.get("rank"), "rank", optional=True)
        if rank is not None:
            if rank.isdigit() and int(rank) >= 1:
                staff.rank = int(rank)
            else:
                self.problem(staff.at("rank"), f"rank must be a whole number from 1, not {rank!r}")
        for item in self.sequence(fields.get("roster"), "roster"):
            staff.roster.extend(self.roster_entry(item))
        doc.staff.append(staff)
        return staff

    def roster_entry(self, node: Node) -> list[RosterSlot]:
        """``{days, hours}`` (or ``day``; ``start``/``end`` instead of ``hours``)."""
        fields = self.mapping(node, "roster entry", set(), {"days", "day", "hours", "start", "end"})
        if fields is None:
            return []
        line = line_of(node)
        days_node = fields.get("days") or fields.get("day")
        if days_node is None or ("days" in fields and "day" in fields):
            self.problem(line, "roster entry needs exactly one of 'days' or 'day'")
            return []
        if "hours" in fields:
            if "start" in fields or "end" in fields:
                self.problem(line, "roster entry: give 'hours' or 'start'/'end', not both")
                return []
            hours = self.texts(fields["hours"], "hours")
        elif "start" in fields and "end" in fields:
            start = self.text(fields["start"], "start")
            end = self.text(fields["end"], "end")
            hours = [f"{start}-{end}"] if start and end else []
        else:
            self.problem(line, "roster entry needs 'hours' (or both 'start' and 'end')")
            return []
        try:
            days = sorted({d for spec in self.texts(days_node, "days") for d in parse_days(spec)})
        except RosterSyntaxError as exc:
            self.problem(line_of(days_node), f"roster: {exc}")
            return []
        slots: list[RosterSlot] = []
        for spec in hours:
            try:
                starts, ends = parse_hours(spec)
            except RosterSyntaxError as exc:
                self.problem(line, f"roster: {exc}")
                continue
            slots.extend(RosterSlot(day, starts, ends, line) for day in days)
        return slots


def load(text: str) -> tuple[RegistryDoc, list[Problem]]:
    """Parse a district file; returns the document and every shape problem found."""
    loader = Loader()
    try:
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark else 1
        return RegistryDoc(), [Problem(line, f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return RegistryDoc(), [Problem(1, f"not valid YAML: {exc}")]
    doc = loader.load(root)
    return doc, loader.problems
