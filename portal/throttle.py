"""Failed logins: slowed after a few, locked after more, per account and per address.

Counts live in ``LoginThrottle`` rows so they hold across restarts and workers.
A failure more than ``WINDOW`` after the previous one starts the count again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import LoginThrottle

WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Limits:
    """After ``slow_after`` failures each try waits 1, 2, 4 … s (up to ``max_wait``);
    at ``lock_after`` failures the key is locked for ``lock_for``."""

    slow_after: int
    lock_after: int
    lock_for: timedelta = timedelta(minutes=15)
    max_wait: timedelta = timedelta(seconds=60)

    def wait_after(self, failures: int) -> timedelta | None:
        if failures >= self.lock_after:
            return self.lock_for
        if failures >= self.slow_after:
            seconds = 2 ** (failures - self.slow_after)
            return min(timedelta(seconds=seconds), self.max_wait)
        return None


#: One person's account: 5 wrong passwords lock it for 15 minutes.
ACCOUNT_LIMITS = Limits(slow_after=3, lock_after=5)
#: One address (a hub's shared connection may carry several doctors).
ADDRESS_LIMITS = Limits(slow_after=10, lock_after=20)


def account_key(staff_id: int | None, identifier: str) -> str:
    """The throttle key of an account; unknown names are counted too (same answers)."""
    if staff_id is not None:
        return f"staff:{staff_id}"
    return f"unknown:{identifier.strip().lower()[:100]}"


def address_key(ip: str) -> str:
    return f"ip:{ip}"


def blocked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    """The latest time until which any of ``keys`` is slowed or locked, or None."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    until = [r.locked_until for r in rows if r.locked_until is not None and r.locked_until > now]
    return max(until) if until else None


def record_failure(session: Session, key: str, limits: Limits, now: datetime) -> LoginThrottle:
    """Count one failed login for ``key`` (row-locked, so parallel tries all count)."""
    values = {"key": key, "failures": 0}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(**values).on_conflict_do_nothing())
    row = session.scalars(
        select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    ).one()
    if row.last_failure_at is None or now - row.last_failure_at > WINDOW:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = limits.wait_after(row.failures)
    row.locked_until = now + wait if wait is not None else None
    return row


def is_locked(row: LoginThrottle, limits: Limits) -> bool:
    """Whether ``row`` has reached the lock (not merely the slow-down)."""
    return row.failures >= limits.lock_after


def clear(session: Session, key: str) -> None:
    """Forget the failures of ``key`` (after a successful login)."""
    row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one_or_none()
    if row is not None:
        session.delete(row)
