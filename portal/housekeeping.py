"""Housekeeping: sign-in sessions and login throttles that can never matter again are deleted.

A session row is useless once it has expired, been revoked or sat idle past the idle limit;
a throttle row once its window has passed and it locks nothing. Rows are kept a day past that
point (``GRACE``), so a browser just turned away is still told why. The sweeper runs this at
most once an hour; it is idempotent and safe under concurrency (plain ``DELETE``s).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from models import LoginThrottle, PortalSession
from portal.blueprint import IDLE_TIMEOUT
from portal.throttle import WINDOW

GRACE = timedelta(days=1)


def purge(session: Session, now: datetime) -> dict[str, int]:
    """Delete dead sessions and stale throttles; returns how many of each."""
    cutoff = now - GRACE
    sessions = session.execute(
        delete(PortalSession).where(
            or_(
                PortalSession.expires_at < cutoff,
                PortalSession.revoked_at < cutoff,
                PortalSession.last_seen_at < cutoff - IDLE_TIMEOUT,
            )
        )
    )
    throttles = session.execute(
        delete(LoginThrottle).where(
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < cutoff),
            or_(
                LoginThrottle.last_failure_at.is_(None),
                LoginThrottle.last_failure_at < cutoff - WINDOW,
            ),
        )
    )
    return {
        "portal_sessions": int(sessions.rowcount),  # type: ignore[attr-defined]
        "login_throttles": int(throttles.rowcount),  # type: ignore[attr-defined]
    }
