"""Roster notation: ``days: mon-sat`` and ``hours: "09:00-17:00"``, both ways.

Days: a day (``mon``), a range (``mon-sat``, wrapping ``fri-mon`` allowed), a
comma list (``mon, wed, fri``), a YAML list of those, or ``daily``/``all``.
Hours: ``HH:MM-HH:MM`` in IST; an end at or before the start runs past midnight
into the next day (``20:00-08:00``); ``24:00`` as an end means the end of the day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import time

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_WHOLE_WEEK = {"daily", "all", "every day", "everyday", "mon-sun"}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
END_OF_DAY = time(23, 59, 59)


class RosterSyntaxError(ValueError):
    """A days or hours value that cannot be read; the message says why."""


def _day(token: str) -> int:
    key = token.strip().lower()
    if key not in _DAY_ALIASES:
        raise RosterSyntaxError(f"unknown day {token.strip()!r} (use mon, tue, … sun)")
    return _DAY_ALIASES[key]


def parse_days(spec: str) -> list[int]:
    """Weekday numbers (0 = Monday) of a days expression, in week order."""
    text = spec.strip().lower()
    if not text:
        raise RosterSyntaxError("empty days")
    if text in _WHOLE_WEEK:
        return list(range(7))
    days: set[int] = set()
    for part in text.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            start, stop = _day(first), _day(last)
            span = (stop - start) % 7
            days.update((start + i) % 7 for i in range(span + 1))
        else:
            days.add(_day(part))
    return sorted(days)


def parse_time(text: str, *, is_end: bool = False) -> time:
    """``HH:MM`` (or ``HH:MM:SS``) as a time; ``24:00`` is allowed as an end."""
    match = _TIME.match(text.strip())
    if not match:
        raise RosterSyntaxError(f"bad time {text.strip()!r} (use HH:MM, 24-hour, IST)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if is_end and (hour, minute, second) == (24, 0, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59 or second > 59:
        raise RosterSyntaxError(f"bad time {text.strip()!r} (hours 00-23, minutes 00-59)")
    return time(hour, minute, second)


def parse_hours(spec: str) -> tuple[time, time]:
    """``"09:00-17:00"`` as (start, end); an end at or before the start runs overnight."""
    first, sep, last = spec.strip().partition("-")
    if not sep:
        raise RosterSyntaxError(f"bad hours {spec.strip()!r} (use HH:MM-HH:MM)")
    starts, ends = parse_time(first), parse_time(last, is_end=True)
    if starts == ends:
        raise RosterSyntaxError(f"hours {spec.strip()!r} start and end at the same time")
    return starts, ends


def format_time(moment: time) -> str:
    """``HH:MM`` (``HH:MM:SS`` if it has seconds; the end of the day is ``24:00``)."""
    if moment == END_OF_DAY:
        return "24:00"
    if moment.second:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%H:%M")


def format_days(days: list[int]) -> str:
    """The shortest days expression: ``daily``, ``mon-sat``, ``mon, wed, fri``…"""
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return "daily"
    runs: list[list[int]] = []
    for day in chosen:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    # A run ending on Sunday continues into one starting on Monday (``sat-mon``).
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:
        runs[0] = runs.pop() + runs[0]
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ", ".join(parts)


def compact(slots: list[tuple[int, time, time]]) -> list[dict[str, str]]:
    """Weekly slots grouped into ``{"days": …, "hours": …}`` entries (stable order)."""
    by_hours: dict[tuple[time, time], list[int]] = defaultdict(list)
    for weekday, starts, ends in slots:
        by_hours[(starts, ends)].append(weekday)
    ordered = sorted(by_hours.items(), key=lambda item: (min(item[1]), item[0][0], item[0][1]))
    return [
        {
            "days": format_days(days),
            "hours": f"{format_time(starts)}-{format_time(ends)}",
        }
        for (starts, ends), days in ordered
    ]


def minutes_covered(starts: time, ends: time) -> list[tuple[int, int]]:
    """Week-relative minute intervals [a, b) a slot covers, for a slot on day 0."""
    a = starts.hour * 60 + starts.minute
    b = ends.hour * 60 + ends.minute + (1 if ends == END_OF_DAY else 0)
    return [(a, b)] if a < b else [(a, 1440 + b)]
