"""The one caller-ID rule: the number our calls and SMS about a consultation come from.

1. the configured outbound number (``OUTBOUND_CALLER_ID``, ``Settings.outbound_caller_id``),
   when set: a number of the account that the provider allows as caller ID and SMS sender
   where the patients are (for Twilio in India an international, non-+91 number: Twilio
   refuses a +91 caller ID with 21216 and a +91 or alphanumeric SMS sender with 21612);
2. else the spoke's own number: the patient knows it, and ringing it back reaches their HWC;
3. else the line the patient called (the consultation's first call: a district-wide or a
   missed-call line), so a patient who rings back rings a line they already know;
4. else the district line (the first ``district`` service number);
5. else the caller's own last resort (``default``): a call's placeholder (a leg needs a
   From), the DLT sender header for an SMS.

The **dial-in line** (``dial_in_line``) is the number a message prints for the patient to
ring, with its kind (a ``missed_call`` line is "give a missed call", any other "call"): the
same three numbers, but the line the patient called first (it reached our IVR: under
Twilio's India rules a spoke's landline is the HWC's own phone, not ours, and patients reach
us on the toll-free district line), then the spoke's own number, then the district line. It
never is the configured outbound number, which may be a foreign number the patient's phone
shows as a random one (or cannot ring for free).

Only registered service numbers qualify at steps 2-4. They are one SQL expression
(``caller_id_column``), so the hot paths read it in the round trip they already make
(``workflows.store.leg_for``, the fast start) and step 1 wins in Python (``pick``, from the
runtime's settings the caller passes); ``caller_id`` reads the rule alone. An SMS's From is
decided when it is sent (``outbound.sms_delivery.sender_for``), with step 1 first as well.
"""

from __future__ import annotations

from typing import Any, overload

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from core.settings import Settings
from models import Consultation, IvrSession, NumberKind, ServiceNumber

#: What a call comes from when the rule finds no number at all (a leg needs a From).
NO_CALLER_ID = "+910000000000"

SqlValue = ColumnElement[Any] | QueryableAttribute[Any]


def own_number(spoke_id: SqlValue) -> ScalarSelect[str]:
    """Step 2: the spoke's own number (a scalar subquery on ``spoke_id``)."""
    return (
        select(ServiceNumber.number)
        .where(ServiceNumber.spoke_id == spoke_id, ServiceNumber.kind == NumberKind.SPOKE)
        .order_by(ServiceNumber.id)
        .limit(1)
        .scalar_subquery()
    )


def called_line(consultation_id: SqlValue) -> ScalarSelect[str]:
    """Step 3: our line the consultation's first call was on (a scalar subquery)."""
    return (
        select(ServiceNumber.number)
        .join(IvrSession, IvrSession.dialled == ServiceNumber.number)
        .where(IvrSession.consultation_id == consultation_id)
        .order_by(IvrSession.id)
        .limit(1)
        .scalar_subquery()
    )


#: Step 4: the district line.
DISTRICT_LINE: ScalarSelect[str] = (
    select(ServiceNumber.number)
    .where(ServiceNumber.kind == NumberKind.DISTRICT)
    .order_by(ServiceNumber.id)
    .limit(1)
    .scalar_subquery()
)


def caller_id_column(spoke_id: SqlValue, consultation_id: SqlValue) -> ColumnElement[str | None]:
    """Steps 2-4 as one SQL expression (NULL when none applies)."""
    return func.coalesce(own_number(spoke_id), called_line(consultation_id), DISTRICT_LINE)


_CALLER_ID = select(caller_id_column(bindparam("spoke_id"), bindparam("consultation_id")))

#: The dial-in line and its kind, in one statement: the called line first.
_DIAL_IN = select(ServiceNumber.number, ServiceNumber.kind).where(
    ServiceNumber.number
    == func.coalesce(
        called_line(bindparam("consultation_id")),
        own_number(bindparam("spoke_id")),
        DISTRICT_LINE,
    )
)


def _params(consultation: Consultation | None) -> dict[str, int | None]:
    return {
        "spoke_id": consultation.spoke_id if consultation is not None else None,
        "consultation_id": consultation.id if consultation is not None else None,
    }


def registered_caller_id(session: Session, consultation: Consultation | None) -> str | None:
    """Steps 2-4 alone: the registry's number our calls and SMS come from (None: none)."""
    return session.scalar(_CALLER_ID, _params(consultation))


def dial_in_line(
    session: Session, consultation: Consultation | None
) -> tuple[str, NumberKind] | None:
    """The line a message tells the patient to ring, and its kind (None: none): the line
    the patient called, else the spoke's own, else the district line.

    Never the configured outbound number: the patient rings a line of the registry.
    """
    row = session.execute(_DIAL_IN, _params(consultation)).first()
    return None if row is None else (row.number, row.kind)


@overload
def caller_id(
    session: Session, consultation: Consultation | None, default: str, *, settings: Settings
) -> str: ...
@overload
def caller_id(
    session: Session,
    consultation: Consultation | None,
    default: None = None,
    *,
    settings: Settings,
) -> str | None: ...
def caller_id(
    session: Session,
    consultation: Consultation | None,
    default: str | None = None,
    *,
    settings: Settings,
) -> str | None:
    """The number to call or text from about ``consultation``: steps 1-5."""
    if settings.outbound_caller_id:
        return settings.outbound_caller_id
    return registered_caller_id(session, consultation) or default


def pick(settings: Settings, number: str | None) -> str:
    """A leg's From: step 1 (the configured outbound number), else the dial-in line read
    in the hot path's own statement (``caller_id_column``), else ``NO_CALLER_ID``."""
    return settings.outbound_caller_id or number or NO_CALLER_ID


__all__ = [
    "DISTRICT_LINE",
    "NO_CALLER_ID",
    "called_line",
    "caller_id",
    "caller_id_column",
    "dial_in_line",
    "own_number",
    "pick",
    "registered_caller_id",
]
