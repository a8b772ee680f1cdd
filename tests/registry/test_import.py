"""Importing the sample district: counts, idempotence, all-or-nothing, round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import Block, Hub, Roster, ServiceNumber, Spoke, Staff
from sampark.registry import RegistryInvalid, export_yaml, import_text, registry_stats
from tests.registry.conftest import row_counts, sample_text


def _ids(runtime: Runtime) -> dict[str, set[tuple[int, str]]]:
    with runtime.db.session() as s:
        return {
            "blocks": {(b.id, b.name) for b in s.scalars(select(Block))},
            "hubs": {(h.id, h.code) for h in s.scalars(select(Hub))},
            "spokes": {(x.id, x.code) for x in s.scalars(select(Spoke))},
            "staff": {(p.id, p.code) for p in s.scalars(select(Staff))},
            "numbers": {(n.id, n.number) for n in s.scalars(select(ServiceNumber))},
            "rosters": {
                (r.id, f"{r.staff_id}/{r.weekday}/{r.starts}") for r in s.scalars(select(Roster))
            },
        }


def _stats(runtime: Runtime) -> dict[str, object]:
    with runtime.db.session() as s:
        return registry_stats(s)


def test_the_sample_district_has_the_shape_of_kishanganj(runtime: Runtime) -> None:
    import_text(runtime.db, sample_text())
    stats = _stats(runtime)
    assert (stats["blocks"], stats["hubs"], stats["spokes"]) == (7, 11, 230)
    assert 230 <= stats["anms"] <= 460
    assert stats["spokes_without_anm"] == 0
    assert stats["spokes_without_number"] == 0
    by_specialty = stats["doctors_by_specialty"]
    assert isinstance(by_specialty, dict)
    assert {"general_medicine", "paediatrics", "obgyn", "dermatology"} <= set(by_specialty)
    assert by_specialty["general_medicine"] == max(by_specialty.values())
    numbers = stats["service_numbers"]
    assert isinstance(numbers, dict)
    assert (numbers["district"], numbers["missed_call"]) == (1, 1)
    assert numbers["spoke"] >= 230


def test_importing_again_changes_no_count_and_no_id(runtime: Runtime) -> None:
    import_text(runtime.db, sample_text())
    counts, ids = row_counts(runtime), _ids(runtime)
    report = import_text(runtime.db, sample_text())
    assert not report.created and not report.updated
    counts_after = row_counts(runtime)
    counts_after["audit_events"] -= 1  # each import is audited
    assert counts_after == counts
    assert _ids(runtime) == ids


def _broken_sample() -> tuple[str, int, int]:
    """The sample with one invalid ANM mobile and one spoke on an unknown hub."""
    lines = sample_text().splitlines(keepends=True)
    phone_line = next(i for i, line in enumerate(lines) if "mobile: +91 99990" in line and i > 2000)
    lines[phone_line] = lines[phone_line].split("mobile:")[0] + "mobile: 99990 123\n"
    hub_line = next(i for i, line in enumerate(lines) if line.strip().startswith("hub: H-RH-BHG"))
    lines[hub_line] = lines[hub_line].replace("H-RH-BHG", "H-NOWHERE")
    return "".join(lines), phone_line + 1, hub_line + 1


@pytest.mark.parametrize("already_imported", [False, True])
def test_a_file_with_a_bad_phone_and_an_unknown_hub_is_refused_whole(
    runtime: Runtime, already_imported: bool
) -> None:
    if already_imported:
        import_text(runtime.db, sample_text())
    before = row_counts(runtime)
    text, phone_line, hub_line = _broken_sample()

    with pytest.raises(RegistryInvalid) as caught:
        import_text(runtime.db, text)

    lines = {p.line: p.message for p in caught.value.problems}
    assert set(lines) == {phone_line, hub_line}
    assert "'99990 123'" in lines[phone_line]
    assert "unknown hub 'H-NOWHERE'" in lines[hub_line]
    assert row_counts(runtime) == before


def test_export_then_import_round_trips(runtime: Runtime) -> None:
    import_text(runtime.db, sample_text())
    with runtime.db.session() as s:
        exported = export_yaml(s)
    stats = _stats(runtime)
    assert "+91 99990" not in exported  # numbers are E.164
    assert "'+919999000100'" in exported

    # Into the same database: nothing changes.
    report = import_text(runtime.db, exported)
    assert not report.created and not report.updated and not report.deactivated

    # Into an empty database: the same registry, exported identically.
    _truncate(runtime)
    import_text(runtime.db, exported)
    assert _stats(runtime) == stats
    with runtime.db.session() as s:
        assert export_yaml(s) == exported


def _truncate(runtime: Runtime) -> None:
    from tests.conftest import _empty_tables

    _empty_tables(runtime)
