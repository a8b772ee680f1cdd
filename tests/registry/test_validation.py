"""Every problem in a district file is reported, each with its line; nothing is written."""

from __future__ import annotations

import textwrap

import pytest

from sampark.registry import RegistryInvalid, check

GOOD = textwrap.dedent(
    """\
    fictional: true
    district:
      code: KSG
      name: Kishanganj
      state: Bihar
      std_code: "06456"
      numbers:
        - {number: "1800 000 6456", kind: district}
        - {number: "+91 99990 00100", kind: missed_call}
    blocks: [Kishanganj, Pothia]
    hubs:
      - code: H-DH
        name: Sadar Hospital
        kind: district_hospital
        specialties: [general_medicine, obgyn]
        doctors:
          - code: DR-1
            name: Dr Imran Ahmad
            specialty: general_medicine
            qualification: MBBS, MD (Medicine)
            registration_number: FICT-BCMR-1
            mobile: "+91 99990 10001"
            languages: [ur, hi, en]
            roster:
              - {days: mon-sat, hours: "09:00-14:00"}
              - {day: sun, start: 20:00, end: 08:00}
    spokes:
      - code: HWC-001
        short_code: "101"
        name: HWC Belwa
        village: Belwa
        block: Kishanganj
        hub: H-DH
        numbers: ["06456-210001"]
        anms:
          - code: ANM-1
            name: Rukhsana Khatoon
            rank: 1
            mobile: 09999010002
            languages: [ur, hi, bn]
            roster: [{days: mon-sat, hours: "08:00-14:00"}]
    """
)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems(text: str) -> dict[int, str]:
    with pytest.raises(RegistryInvalid) as caught:
        check(text)
    out: dict[int, str] = {}
    for p in caught.value.problems:
        out[p.line] = f"{out[p.line]} | {p.message}" if p.line in out else p.message
    return out


def test_the_reference_file_is_valid_and_normalised() -> None:
    doc = check(GOOD)
    assert [s.code for s in doc.spokes] == ["HWC-001"]
    assert {p.code: p.mobile for p in doc.staff} == {
        "DR-1": "+919999010001",
        "ANM-1": "+919999010002",
    }
    assert [n.number for n in doc.all_numbers()] == [
        "+9118000006456",
        "+919999000100",
        "+916456210001",
    ]
    assert all(p.fictional for p in doc.staff) and all(n.fictional for n in doc.all_numbers())
    doctor = next(p for p in doc.staff if p.role == "doctor")
    assert len(doctor.roster) == 7  # six OPD mornings and a Sunday night
    assert doc.staff[1].rank == 1 and doc.staff[1].spoke == "HWC-001"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("hub: H-DH", "hub: H-XX", "unknown hub 'H-XX'"),
        ("block: Kishanganj", "block: Kishangunj", "did you mean 'Kishanganj'"),
        ('numbers: ["06456-210001"]', 'numbers: ["06456-2100"]', "'06456-2100': too short"),
        ("mobile: 09999010002", "mobile: 06456-222333", "landline number; staff need a mobile"),
        ("mobile: 09999010002", "mobile: +91 99990 10001", "duplicate mobile"),
        ("languages: [ur, hi, bn]", "languages: [surjapuri]", "recorded as hi, ur and/or bn"),
        ("languages: [ur, hi, bn]", "languages: [hindi]", "unknown language 'hindi'"),
        ('hours: "08:00-14:00"', 'hours: "08:00-14:75"', "bad time '14:75'"),
        ('hours: "08:00-14:00"', 'hours: "8 to 2"', "bad hours"),
        ("{days: mon-sat, hours", "{days: mon-satur, hours", "unknown day"),
        ('short_code: "101"', 'short_code: "1a"', "must be 3 or 4 digits"),
        ("specialty: general_medicine", "specialty: pediatrics", "did you mean 'paediatrics'"),
        ("specialty: general_medicine", "specialty: dermatology", "does not list dermatology"),
        ("    rank: 1", "    rank: first", "rank must be a whole number"),
        ("village: Belwa", "vilage: Belwa", "unknown field 'vilage'"),
        ("kind: missed_call", "kind: missed", "must be district or missed_call"),
        ('"1800 000 6456"', '"+1 415 555 0100"', "not an Indian number"),
    ],
)
def test_each_problem_is_named_at_its_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    found = problems(text)
    line = GOOD[: GOOD.index(old)].count("\n") + 1
    assert line in found, found
    assert expected in found[line]


def test_a_doctor_without_registration_number_or_specialty_is_refused() -> None:
    text = GOOD.replace("        registration_number: FICT-BCMR-1\n", "").replace(
        "        specialty: general_medicine\n", ""
    )
    found = problems(text)
    doctor_line = line_of(text, "- code: DR-1")
    assert "no council registration_number" in found[doctor_line]
    assert "no specialty" in found[doctor_line]


def test_duplicates_name_the_first_occurrence() -> None:
    spoke = GOOD[GOOD.index("  - code: HWC-001") :]
    text = GOOD + spoke.replace("ANM-1", "ANM-2").replace("09999010002", "09999010003")
    found = problems(text)
    second = [i for i, line in enumerate(text.splitlines(), 1) if "code: HWC-001" in line][1]
    first = line_of(text, "code: HWC-001")
    assert f"duplicate spoke code 'HWC-001' (first at line {first})" in found[second]
    assert "duplicate short_code '101'" in found[second + 1]
    assert "duplicate phone number '+916456210001'" in found[second + 6]


def test_overlapping_roster_slots_are_refused() -> None:
    text = GOOD.replace(
        "- {day: sun, start: 20:00, end: 08:00}",
        '- {day: sun, start: 20:00, end: 08:00}\n          - {days: mon, hours: "07:00-10:00"}',
    )
    found = problems(text)
    assert any("overlaps" in message for message in found.values())


def test_every_problem_is_reported_at_once() -> None:
    text = (
        GOOD.replace("hub: H-DH", "hub: H-XX")
        .replace("mobile: 09999010002", "mobile: 12345")
        .replace("languages: [ur, hi, bn]", "languages: [xx]")
        .replace("        qualification: MBBS, MD (Medicine)\n", "")
    )
    assert len(problems(text)) >= 4


def test_broken_yaml_is_reported_with_its_line() -> None:
    found = problems(GOOD.replace("name: HWC Belwa", "name: [HWC Belwa"))
    assert any("not valid YAML" in m for m in found.values())


def test_yaml_1_1_surprises_do_not_happen() -> None:
    # Unquoted 17:00 would be the integer 1020 to a YAML 1.1 loader; a leading 0 an octal.
    doc = check(GOOD.replace("start: 20:00, end: 08:00", "start: 17:00, end: 19:00"))
    assert (doc.staff[0].roster[-1].starts.hour, doc.staff[0].roster[-1].ends.hour) == (17, 19)
    assert doc.staff[1].mobile == "+919999010002"
