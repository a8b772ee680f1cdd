"""A dose is never changed by compaction: only a number and its unit are joined.

Every dose the formulary pre-fills is checked (read from the formulary, so a new one is
covered without editing this file), and each of its units in fractional forms a doctor
writes (``1/2``, ``1 1/2``, ``2 1/2``, ``0.5``).
"""

from __future__ import annotations

import re

import pytest

from prescriptions.formulary import all_medicines
from sms_templates import render
from sms_templates.compact import compact_dose, dosing
from tests.sms.samples import RX

FORMULARY_DOSES = sorted({m.dose for m in all_medicines()})
UNITS = sorted({m.group(1) for d in FORMULARY_DOSES if (m := re.fullmatch(r"\d+ (\w+)", d))})
FRACTIONS = ("1/2", "1 1/2", "2 1/2", "0.5", "1 1/4")
FRACTIONAL_DOSES = [f"{amount} {unit}" for unit in UNITS for amount in FRACTIONS]
#: "1 tab" says nothing the 1-0-1 pattern does not: it alone may compact to "".
IMPLIED = re.compile(r"1 (tab|tablet|cap|capsule|sachet|pkt|packet|unit)", re.IGNORECASE)


def test_the_formulary_gives_doses_and_units_to_check() -> None:
    assert len(FORMULARY_DOSES) >= 5 and {"tab", "ml"} <= set(UNITS)


@pytest.mark.parametrize("dose", [*FORMULARY_DOSES, *FRACTIONAL_DOSES])
def test_compaction_only_joins_a_number_to_its_unit(dose: str) -> None:
    compact = compact_dose(dose)
    if IMPLIED.fullmatch(dose):
        assert compact == ""
        return
    assert compact.replace(" ", "") == dose.replace(" ", "")  # nothing added or lost
    kept, gone = 0, 0
    for i, ch in enumerate(dose):
        if ch != " ":
            continue
        before, after = dose[i - 1], dose[i + 1]
        if before.isdigit() and after.isalpha():
            gone += 1  # "5 ml" -> "5ml"
        else:
            kept += 1  # "1 1/2", "thin layer": two numbers or two words never run together
    assert compact.count(" ") == kept, (dose, compact)
    assert len(compact) == len(dose) - gone


@pytest.mark.parametrize(
    ("dose", "compact"),
    [
        ("1 1/2 tab", "1 1/2tab"),
        ("2 1/2 ml", "2 1/2ml"),
        ("1/2 tab", "1/2tab"),
        ("thin layer", "thin layer"),
        ("whole body", "whole body"),
        ("5 ml", "5ml"),
        ("1 tab", ""),
    ],
)
def test_doses_as_the_patient_reads_them(dose: str, compact: str) -> None:
    assert compact_dose(dose) == compact


def test_a_fractional_dose_reaches_the_sms_whole() -> None:
    half = {
        "name": "Paracetamol",
        "strength": "500 mg",
        "form": "tablet",
        "dose": "1 1/2 tab",
        "frequency": "1-0-1",
        "duration_days": 3,
    }
    assert dosing("1-0-1", 3, "1 1/2 tab") == "1 1/2tab 1-0-1 x3d"
    sms = render("prescription_patient", "en", **{**RX, "medicines": [half]})
    assert "1.Paracetamol 500mg 1 1/2tab 1-0-1 x3d" in sms.body
    assert sms.encoding == "GSM-7"
