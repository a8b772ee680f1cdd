"""Re-importing an edited file updates in place; people who leave are kept, inactive."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import ServiceNumber, Spoke, Staff
from sampark.registry import RegistryInvalid, import_text, is_fictional_number
from tests.registry.conftest import row_counts
from tests.registry.test_validation import GOOD

SECOND_SPOKE = """\
  - code: HWC-002
    short_code: "102"
    name: HWC Daula
    block: Pothia
    hub: H-DH
    numbers: ["06456-210002"]
    anms:
      - code: ANM-2
        name: Sunita Kumari
        rank: 1
        mobile: "+91 99990 10003"
        languages: [hi, bn]
"""
TWO_SPOKES = GOOD + SECOND_SPOKE


def _staff(runtime: Runtime) -> dict[str, Staff]:
    with runtime.db.session() as s:
        return {p.code: p for p in s.scalars(select(Staff))}


def _spokes(runtime: Runtime) -> dict[str, Spoke]:
    with runtime.db.session() as s:
        return {x.code: x for x in s.scalars(select(Spoke))}


def test_an_edit_updates_the_same_rows(runtime: Runtime) -> None:
    import_text(runtime.db, TWO_SPOKES)
    before = _staff(runtime)
    report = import_text(runtime.db, TWO_SPOKES.replace("Rukhsana Khatoon", "Rukhsana Parveen"))
    after = _staff(runtime)
    assert report.updated["staff"] == 1
    assert after["ANM-1"].id == before["ANM-1"].id
    assert after["ANM-1"].name == "Rukhsana Parveen"


def test_staff_removed_from_the_file_are_kept_inactive_and_come_back(runtime: Runtime) -> None:
    import_text(runtime.db, TWO_SPOKES)
    without = TWO_SPOKES.replace(SECOND_SPOKE[SECOND_SPOKE.index("    anms:") :], "")
    report = import_text(runtime.db, without)
    assert report.deactivated == ["ANM-2"]
    staff = _staff(runtime)
    assert staff["ANM-2"].active is False and staff["ANM-1"].active is True

    import_text(runtime.db, TWO_SPOKES)
    assert _staff(runtime)["ANM-2"].active is True


def test_mobiles_and_short_codes_can_be_swapped(runtime: Runtime) -> None:
    import_text(runtime.db, TWO_SPOKES)
    ids = {code: p.id for code, p in _staff(runtime).items()}
    swapped = (
        TWO_SPOKES.replace("09999010002", "TMP")
        .replace('"+91 99990 10003"', "09999010002")
        .replace("TMP", '"+91 99990 10003"')
        .replace('short_code: "101"', 'short_code: "TMP"')
        .replace('short_code: "102"', 'short_code: "101"')
        .replace('short_code: "TMP"', 'short_code: "102"')
    )
    import_text(runtime.db, swapped)
    staff = _staff(runtime)
    assert {code: p.id for code, p in staff.items()} == ids
    assert staff["ANM-1"].mobile == "+919999010003"
    assert staff["ANM-2"].mobile == "+919999010002"
    spokes = _spokes(runtime)
    assert (spokes["HWC-001"].short_code, spokes["HWC-002"].short_code) == ("102", "101")


def test_a_number_moved_to_another_spoke_follows_it(runtime: Runtime) -> None:
    import_text(runtime.db, TWO_SPOKES)
    moved = TWO_SPOKES.replace('numbers: ["06456-210001"]', 'numbers: ["06456-210009"]').replace(
        'numbers: ["06456-210002"]', 'numbers: ["06456-210002", "06456-210001"]'
    )
    report = import_text(runtime.db, moved)
    with runtime.db.session() as s:
        owner = {
            n.number: n.spoke.code if n.spoke else None for n in s.scalars(select(ServiceNumber))
        }
    assert owner["+916456210001"] == "HWC-002"
    assert owner["+916456210009"] == "HWC-001"
    assert report.removed_numbers == []


def test_a_short_code_held_by_a_spoke_outside_the_file_is_a_conflict(runtime: Runtime) -> None:
    import_text(runtime.db, TWO_SPOKES)
    only_first = GOOD.replace('short_code: "101"', 'short_code: "102"')
    before = row_counts(runtime)
    with pytest.raises(RegistryInvalid) as caught:
        import_text(runtime.db, only_first)
    assert "already used by spoke HWC-002" in caught.value.problems[0].message
    assert (
        caught.value.problems[0].line == only_first.splitlines().index('    short_code: "102"') + 1
    )
    assert row_counts(runtime) == before


def test_rosters_are_replaced_by_what_the_file_says(runtime: Runtime) -> None:
    import_text(runtime.db, GOOD)
    import_text(runtime.db, GOOD.replace('hours: "08:00-14:00"', 'hours: "10:00-16:00"'))
    with runtime.db.session() as s:
        anm = s.scalar(select(Staff).where(Staff.code == "ANM-1"))
        assert anm is not None
        assert sorted({(r.starts.hour, r.ends.hour) for r in anm.rosters}) == [(10, 16)]
        assert len(anm.rosters) == 6


def test_every_number_in_a_fictional_file_is_marked_fictional(runtime: Runtime) -> None:
    import_text(runtime.db, TWO_SPOKES.replace("fictional: true", "fictional: false", 1))
    with runtime.db.session() as s:
        assert not is_fictional_number(s, "+916456210001")
    import_text(runtime.db, TWO_SPOKES)
    with runtime.db.session() as s:
        assert is_fictional_number(s, "+916456210001")
        assert is_fictional_number(s, "+919999010002")  # a staff mobile
        assert not is_fictional_number(s, "+919431012345")  # not in the registry
