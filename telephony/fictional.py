"""Which numbers the registry marks fictional (the real gateway must never dial them)."""

from __future__ import annotations

import threading
import time
from typing import Any

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


class RegistryFictional:
    """The gateway's ``is_fictional``: the registry's fictional numbers, re-read every ``ttl`` s."""

    def __init__(self, db: Any, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._lock = threading.Lock()
        self._numbers: frozenset[str] = frozenset()
        self._loaded_at: float | None = None

    def __call__(self, number: str) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._loaded_at is None or now - self._loaded_at > self.ttl:
                with self.db.session() as session:
                    self._numbers = frozenset(fictional_numbers(session))
                self._loaded_at = now
            return number in self._numbers
