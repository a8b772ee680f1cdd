"""Time for the workflow, and call windows.

Every timer of a consultation is two things: a deadline stored on the row
(``state_deadline_at``) and an RQ job scheduled for that moment. The job is only
a prompt — the sweeper finds every row past its deadline whatever Redis kept —
so tests and the simulator never wait: they call
``ops.sweeper.run_due_timers(runtime, now)`` with a virtual ``now``.

Code reads the time through ``now()``, which tests and the simulator may point
at a virtual clock (anything with a ``now() -> datetime`` method, such as the
Twilio stand-in's ``VirtualClock``) with ``use_clock``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Protocol

from core.timeutil import IST, as_utc, utcnow


class Clock(Protocol):
    """Something that tells the time (aware UTC, or aware in any zone)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = as_utc(start) if start else utcnow()

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = as_utc(moment)


_clock: Clock = SystemClock()


def now() -> datetime:
    """The workflow's current time, aware UTC."""
    return as_utc(_clock.now())


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Read the time from ``clock`` inside the block (this process only)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous


def in_window(moment: datetime, window: tuple[time, time]) -> bool:
    """Whether an aware ``moment`` falls inside an IST wall-clock window (start == end: always)."""
    start, end = window
    if start == end:
        return True  # a window that opens when it closes: always open
    local = moment.astimezone(IST).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight


def next_window_open(moment: datetime, window: tuple[time, time]) -> datetime:
    """``moment`` itself if inside the window, else the window's next opening (UTC)."""
    if in_window(moment, window):
        return as_utc(moment)
    local = moment.astimezone(IST)
    opening = local.replace(hour=window[0].hour, minute=window[0].minute, second=0, microsecond=0)
    if opening <= local:
        opening += timedelta(days=1)
    return as_utc(opening)
