"""The district's ambulance line: a 10-digit landline or mobile stored in E.164, or none.

Twilio dials only E.164 numbers, so a short code such as 108 is refused at import with a
message naming the field; the number survives ``sampark district export`` and back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import District
from sampark.registry import check, export_yaml, import_text
from tests.registry.test_validation import GOOD, problems

STD_CODE = '  std_code: "06456"\n'


def with_district_line(line: str) -> str:
    assert STD_CODE in GOOD
    return GOOD.replace(STD_CODE, f"{STD_CODE}  {line}\n", 1)


def line_of_district_field() -> int:
    return GOOD[: GOOD.index(STD_CODE)].count("\n") + 2


@pytest.mark.parametrize("written", ["06456-222108", "06456 222108", "+916456222108", "9431012108"])
def test_a_landline_or_mobile_is_kept_in_e164(written: str) -> None:
    doc = check(with_district_line(f'ambulance_number: "{written}"'))
    assert doc.district.ambulance_number in ("+916456222108", "+919431012108")


def test_none_given_is_none() -> None:
    assert check(GOOD).district.ambulance_number == ""
    assert check(with_district_line('ambulance_number: ""')).district.ambulance_number == ""


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("108", "ambulance_number '108' is a short code: Twilio cannot dial it"),
        ("102", "ambulance_number '102' is a short code"),
        ("112", "ambulance_number '112' is a short code"),
        ("06456-2221", "ambulance_number: invalid phone number '06456-2221': too short"),
        ("1800 000 6457", "ambulance_number '1800 000 6457' is a toll-free number"),
    ],
)
def test_what_twilio_cannot_dial_is_refused_at_its_line(written: str, expected: str) -> None:
    found = problems(with_district_line(f'ambulance_number: "{written}"'))
    assert expected in found[line_of_district_field()], found


def test_a_file_with_the_old_emergency_number_is_refused_with_what_to_do() -> None:
    found = problems(with_district_line("emergency_number: '108'"))
    message = found[line_of_district_field()]
    assert "emergency_number is no longer read" in message and "ambulance_number" in message


def test_import_stores_it_and_export_gives_it_back(runtime: Runtime) -> None:
    import_text(runtime.db, with_district_line('ambulance_number: "06456-222108"'))
    with runtime.db.session() as s:
        district = s.scalars(select(District)).one()
        assert district.ambulance_number == "+916456222108"
        exported = export_yaml(s)
    assert "ambulance_number: '+916456222108'" in exported
    report = import_text(runtime.db, exported)
    assert not report.created and not report.updated
    import_text(runtime.db, GOOD)  # the line removed from the file: no longer connected
    with runtime.db.session() as s:
        assert s.scalars(select(District.ambulance_number)).one() == ""
        assert "ambulance_number" not in export_yaml(s)
