"""The doctors' portal: server-side login sessions and failed-login throttles.

Both live in the database so that a logout, an expiry or a lock survives a
restart and holds across every web worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_time, intpk
from models.district import Staff


class PortalSession(Base):
    """One signed-in browser. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "portal_sessions"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[created_time]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # absolute limit, whatever the activity
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    staff: Mapped[Staff] = relationship()

    def __repr__(self) -> str:
        return f"PortalSession(staff_id={self.staff_id}, revoked={self.revoked_at is not None})"


class LoginThrottle(Base):
    """Recent failed logins for one key (``staff:<id>``, ``unknown:<name>`` or ``ip:<addr>``)."""

    __tablename__ = "login_throttles"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(120), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"LoginThrottle({self.key!r}, failures={self.failures})"
