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

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CallWindow:
    """IST wall-clock hours in which people are called (``opens == closes``: always open).

    The one call window of the IVR's call-backs, the workflow's patient calls and the
    read-aloud calls; each keeps its own configured hours.
    """

    opens: time
    closes: time

    @classmethod
    def parse(cls, text: str) -> CallWindow:
        """``"08:00-20:00"`` -> ``CallWindow(08:00, 20:00)`` (``ValueError`` if not one)."""
        opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
        return cls(opens, closes)

    @classmethod
    def of(cls, value: CallWindow | str | Sequence[str | time]) -> CallWindow:
        """A window from configuration: ``"08:00-20:00"`` or a pair of times or strings."""
        if isinstance(value, CallWindow):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        opens, closes = (v if isinstance(v, time) else time.fromisoformat(v) for v in value)
        return cls(opens, closes)

    @property
    def always_open(self) -> bool:
        return self.opens == self.closes

    def contains(self, moment: datetime) -> bool:
        """Whether an aware ``moment`` falls inside the window."""
        if self.always_open:
            return True
        local = moment.astimezone(IST).time()
        if self.opens < self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes  # a window across midnight

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself if inside the window, else the window's next opening (UTC)."""
        if self.contains(moment):
            return as_utc(moment)
        local = moment.astimezone(IST)
        opening = local.replace(
            hour=self.opens.hour, minute=self.opens.minute, second=0, microsecond=0
        )
        if opening <= local:
            opening += timedelta(days=1)
        return as_utc(opening)

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"
