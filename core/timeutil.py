"""Times are stored in UTC and shown in Asia/Kolkata."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Attach UTC to a naive time read back from SQLite, or convert an aware one."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_ist(moment: datetime) -> datetime:
    """A stored UTC time as the district sees it."""
    return as_utc(moment).astimezone(IST)


def format_ist(moment: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """Human display in IST, e.g. ``25 Nov 2026 14:05``; empty for ``None``."""
    return "" if moment is None else to_ist(moment).strftime(fmt)
