"""Roster notation: compact forms in, the same compact forms out."""

from __future__ import annotations

from datetime import time

import pytest

from sampark.registry.rosters import (
    RosterSyntaxError,
    compact,
    format_days,
    parse_days,
    parse_hours,
)


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("mon-sat", [0, 1, 2, 3, 4, 5]),
        ("daily", [0, 1, 2, 3, 4, 5, 6]),
        ("mon, wed, fri", [0, 2, 4]),
        ("Sunday", [6]),
        ("fri-mon", [0, 4, 5, 6]),
        ("tue-thu, sat", [1, 2, 3, 5]),
    ],
)
def test_days(spec: str, days: list[int]) -> None:
    assert parse_days(spec) == days
    assert parse_days(format_days(days)) == days


def test_hours_including_overnight_and_end_of_day() -> None:
    assert parse_hours("09:00-17:00") == (time(9), time(17))
    assert parse_hours("20:00-08:00") == (time(20), time(8))
    assert parse_hours("00:00-24:00") == (time(0), time(23, 59, 59))


@pytest.mark.parametrize("spec", ["9-5", "09:00", "25:00-26:00", "09:00-09:00", "09:60-10:00"])
def test_bad_hours(spec: str) -> None:
    with pytest.raises(RosterSyntaxError):
        parse_hours(spec)


def test_compact_groups_days_with_the_same_hours() -> None:
    slots = [(d, time(9), time(14)) for d in range(6)] + [(6, time(20), time(8))]
    assert compact(slots) == [
        {"days": "mon-sat", "hours": "09:00-14:00"},
        {"days": "sun", "hours": "20:00-08:00"},
    ]
