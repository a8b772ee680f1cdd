"""SQL pieces the district figures share, the same on PostgreSQL and SQLite.

The period a district reports is in IST dates: ``Period`` turns them into UTC bounds for
the stored (UTC) times, and ``ist_day`` / ``ist_week`` bucket a stored time by its IST day
or the Monday of its IST week (a ``YYYY-MM-DD`` string on both databases). ``OUTCOME`` puts
each consultation in exactly one outcome; the rules are written once here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from core.timeutil import IST
from models import Consultation, ConsultationState, Spoke

S = ConsultationState

#: A doctor joined and the consultation ended with (or awaits) a prescription: the same
#: states as ``sampark simulate``'s ``completed`` (ops.simulate_summary.COMPLETED).
COMPLETED_STATES = frozenset({S.AWAITING_PRESCRIPTION, S.PRESCRIBED, S.CLOSED})
#: Ended without a doctor: hung up in the IVR, refused consent, cancelled, or closed.
ENDED_STATES = frozenset(
    {S.ABANDONED, S.CONSENT_REFUSED, S.CANCELLED, S.CLOSED, S.AWAITING_PRESCRIPTION, S.PRESCRIBED}
)
#: The outcomes, in the order they are tested (the first that fits wins).
OUTCOMES = ("completed", "emergency", "unreachable", "callback", "abandoned", "in_progress")
#: What each outcome means (shown under the dashboard's outcome table and the report).
OUTCOME_RULES = {
    "completed": "a doctor joined, and the consultation ended with or awaits a prescription",
    "emergency": "a danger sign was heard (hospital or 108 advised) and no doctor joined",
    "unreachable": "every call-back failed; the patient and ANM were told by SMS",
    "callback": "waiting now for a call-back (a call window or a retry)",
    "abandoned": "ended without a doctor: hung up in the IVR, refused consent, cancelled or closed",
    "in_progress": "still under way (IVR, ringing the ANM, finding a doctor, in the call)",
}

C = Consultation
OUTCOME: ColumnElement[str] = case(
    (and_(C.doctor_joined_at.is_not(None), C.state.in_(COMPLETED_STATES)), "completed"),
    (C.emergency.is_(True), "emergency"),
    (C.state == S.UNREACHABLE, "unreachable"),
    (C.state == S.CALLBACK_SCHEDULED, "callback"),
    (C.state.in_(ENDED_STATES), "abandoned"),
    else_="in_progress",
)


@dataclass(frozen=True)
class Period:
    """IST dates ``first`` to ``last`` (both included), optionally one block."""

    first: date
    last: date
    block_id: int | None = None

    @property
    def starts(self) -> datetime:
        """The first instant (UTC) of ``first`` in IST."""
        return datetime.combine(self.first, time(0), IST).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        """The first instant (UTC) after ``last`` in IST."""
        return datetime.combine(self.last + timedelta(days=1), time(0), IST).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def created_in(self, column: Any) -> ColumnElement[bool]:
        """``column`` (a stored UTC time) falls in the period."""
        return and_(column >= self.starts, column < self.ends)

    def in_block(self) -> ColumnElement[bool]:
        """The consultation's spoke is in the chosen block (any when none is chosen).
        Needs ``Spoke`` joined (outer) to the consultation."""
        return true() if self.block_id is None else Spoke.block_id == self.block_id

    @classmethod
    def month(cls, year: int, month: int, block_id: int | None = None) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1), block_id)


class ist_day(FunctionElement[str]):  # named like the SQL function it stands for
    """The IST date of a stored UTC time, ``YYYY-MM-DD``."""

    type = String()
    inherit_cache = True


class ist_week(FunctionElement[str]):
    """The Monday of the IST week of a stored UTC time, ``YYYY-MM-DD``."""

    type = String()
    inherit_cache = True


@compiles(ist_day, "postgresql")
def _ist_day_pg(element: ist_day, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"to_char(({arg}) AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD')"


@compiles(ist_day, "sqlite")
def _ist_day_sqlite(element: ist_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+330 minutes')"


@compiles(ist_week, "postgresql")
def _ist_week_pg(element: ist_week, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"to_char(date_trunc('week', ({arg}) AT TIME ZONE 'Asia/Kolkata'), 'YYYY-MM-DD')"


@compiles(ist_week, "sqlite")
def _ist_week_sqlite(element: ist_week, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"date({arg}, '+330 minutes', 'weekday 0', '-6 days')"


def percentile(sorted_values: list[float], share: float) -> float | None:
    """The nearest-rank value at ``share`` (0.5, 0.95), as ``sampark simulate`` takes it."""
    if not sorted_values:
        return None
    if share == 0.5:
        n = len(sorted_values)
        mid = n // 2
        return sorted_values[mid] if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2
    return sorted_values[int(share * (len(sorted_values) - 1))]
