"""The one caller-ID rule: the number our calls and SMS about a consultation come from.

1. the spoke's own number: the patient knows it, and ringing it back reaches their HWC;
2. else the line the patient called (the consultation's first call: a district-wide or a
   missed-call line), so a patient who rings back rings a line they already know;
3. else the district line (the first ``district`` service number);
4. else the caller's own last resort (``default``): a call's placeholder (a leg needs a
   From), the DLT sender header for an SMS, or None for a number printed in a message.

Only registered service numbers qualify at every step. The rule is one SQL expression
(``caller_id_column``), so the hot paths read it in the round trip they already make
(``workflows.store.leg_for``, the fast start) and ``caller_id`` reads it alone.
"""

from __future__ import annotations

from typing import Any, overload

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from models import Consultation, IvrSession, NumberKind, ServiceNumber

#: What a call comes from when the rule finds no number at all (a leg needs a From).
NO_CALLER_ID = "+910000000000"

SqlValue = ColumnElement[Any] | QueryableAttribute[Any]


def own_number(spoke_id: SqlValue) -> ScalarSelect[str]:
    """Step 1: the spoke's own number (a scalar subquery on ``spoke_id``)."""
    return (
        select(ServiceNumber.number)
        .where(ServiceNumber.spoke_id == spoke_id, ServiceNumber.kind == NumberKind.SPOKE)
        .order_by(ServiceNumber.id)
        .limit(1)
        .scalar_subquery()
    )


def called_line(consultation_id: SqlValue) -> ScalarSelect[str]:
    """Step 2: our line the consultation's first call was on (a scalar subquery)."""
    return (
        select(ServiceNumber.number)
        .join(IvrSession, IvrSession.dialled == ServiceNumber.number)
        .where(IvrSession.consultation_id == consultation_id)
        .order_by(IvrSession.id)
        .limit(1)
        .scalar_subquery()
    )


#: Step 3: the district line.
DISTRICT_LINE: ScalarSelect[str] = (
    select(ServiceNumber.number)
    .where(ServiceNumber.kind == NumberKind.DISTRICT)
    .order_by(ServiceNumber.id)
    .limit(1)
    .scalar_subquery()
)


def caller_id_column(spoke_id: SqlValue, consultation_id: SqlValue) -> ColumnElement[str | None]:
    """Steps 1-3 as one SQL expression (NULL when none applies)."""
    return func.coalesce(own_number(spoke_id), called_line(consultation_id), DISTRICT_LINE)


_CALLER_ID = select(caller_id_column(bindparam("spoke_id"), bindparam("consultation_id")))


@overload
def caller_id(session: Session, consultation: Consultation | None, default: str) -> str: ...
@overload
def caller_id(
    session: Session, consultation: Consultation | None, default: None = None
) -> str | None: ...
def caller_id(
    session: Session, consultation: Consultation | None, default: str | None = None
) -> str | None:
    """The number to call or text from about ``consultation`` (None: no consultation)."""
    params = {
        "spoke_id": consultation.spoke_id if consultation is not None else None,
        "consultation_id": consultation.id if consultation is not None else None,
    }
    return session.scalar(_CALLER_ID, params) or default


def pick(number: str | None) -> str:
    """A leg's From: the rule's number (``caller_id_column``), else ``NO_CALLER_ID``."""
    return number or NO_CALLER_ID


__all__ = [
    "DISTRICT_LINE",
    "NO_CALLER_ID",
    "called_line",
    "caller_id",
    "caller_id_column",
    "own_number",
    "pick",
]
