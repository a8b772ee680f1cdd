"""Call windows for call-backs (IST), and how the call-back job is scheduled."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from rq.registry import ScheduledJobRegistry

from core.clock import CallWindow
from core.settings import SettingsError
from core.timeutil import IST
from ivr.callback import schedule_callback
from ivr.config import IvrConfig, parse_window

DEFAULT = IvrConfig()


def ist(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ist(10, 30), ist(10, 30)),  # inside: at once
        (ist(7, 59), ist(8, 0)),  # before opening: today 08:00
        (ist(20, 0), ist(8, 0, day=26)),  # closing time: tomorrow 08:00
        (ist(23, 15), ist(8, 0, day=26)),
        (ist(0, 5), ist(8, 0)),
    ],
)
def test_the_next_window_opening(moment: datetime, expected: datetime) -> None:
    assert DEFAULT.call_window.next_opening(moment) == expected
    assert DEFAULT.call_window.contains(DEFAULT.call_window.next_opening(moment))


def test_the_window_is_configurable() -> None:
    config = IvrConfig.from_mapping({"call_window": "09:30-18:00"})
    assert config.call_window == CallWindow(time(9, 30), time(18, 0))
    assert config.call_window.next_opening(ist(9, 0)) == ist(9, 30)
    with pytest.raises(SettingsError, match="IVR_CALL_WINDOW='9 to 5'"):
        parse_window("9 to 5")


def test_outside_the_window_the_call_back_waits_urgent_ones_do_not(runtime) -> None:
    night = ist(22, 0)
    when = schedule_callback(runtime, caller="+919431012345", line="+916456220099",
                             purpose="missed-callback:CA1", now=night)  # fmt: skip
    assert when == ist(8, 0, day=26)
    queue = runtime.queue("calls")
    assert queue.jobs == []
    assert len(ScheduledJobRegistry(queue=queue)) == 1
    urgent = schedule_callback(runtime, caller="+919431012345", line="+916456220099",
                               purpose="missed-callback:CA2", urgent=True, now=night)  # fmt: skip
    assert urgent == night and len(queue.jobs) == 1
