"""Which numbers the registry marks fictional (the real gateway must never dial them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ServiceNumber, Staff


def fictional_numbers(session: Session) -> set[str]:
    """Every E.164 number (service lines and staff mobiles) marked fictional."""
    service = session.scalars(select(ServiceNumber.number).where(ServiceNumber.fictional.is_(True)))
    staff = session.scalars(select(Staff.mobile).where(Staff.fictional.is_(True)))
    return set(service) | set(staff)


def is_fictional_number(session: Session, e164: str) -> bool:
    """Whether ``e164`` is a service number or staff mobile marked fictional."""
    if session.scalar(
        select(ServiceNumber.id).where(
            ServiceNumber.number == e164, ServiceNumber.fictional.is_(True)
        )
    ):
        return True
    return (
        session.scalar(select(Staff.id).where(Staff.mobile == e164, Staff.fictional.is_(True)))
        is not None
    )
