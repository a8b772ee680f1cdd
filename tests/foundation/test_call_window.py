"""The one call window (IST wall-clock hours) of the IVR, the workflow and prescriptions."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from core.clock import CallWindow
from core.timeutil import IST


def ist(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)


def test_the_three_configured_forms_give_one_window() -> None:
    window = CallWindow(time(8, 0), time(20, 0))
    assert CallWindow.parse("08:00-20:00") == window  # IVR_CALL_WINDOW, readout.yaml
    assert CallWindow.of(["08:00", "20:00"]) == window  # SAMPARK_WORKFLOW call_window
    assert CallWindow.of(window) is window
    assert str(window) == "08:00-20:00"
    with pytest.raises(ValueError):
        CallWindow.parse("9 to 5")


@pytest.mark.parametrize(
    ("moment", "inside", "opening"),
    [
        (ist(23, 0), True, ist(23, 0)),
        (ist(5, 59), True, ist(5, 59)),
        (ist(6, 0), False, ist(22, 0)),  # closed at 06:00: opens again at 22:00
        (ist(21, 59), False, ist(22, 0)),
    ],
)
def test_a_window_across_midnight(moment: datetime, inside: bool, opening: datetime) -> None:
    night = CallWindow.parse("22:00-06:00")
    assert night.contains(moment) is inside
    assert night.next_opening(moment) == opening.astimezone(UTC)


def test_a_window_that_opens_when_it_closes_is_always_open() -> None:
    always = CallWindow.parse("00:00-00:00")
    assert always.always_open and always.contains(ist(3, 0))
    assert always.next_opening(ist(3, 0)) == ist(3, 0)
