"""The IVR's per-call session: where each phone call stands in the intake flow.

One row per call (``call_sid`` unique). Every webhook resumes the call from this
row, so a web process can restart mid-call without the caller noticing; a caller
who rings back within the resume window continues the same consultation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow
from models.base import Base, UTCDateTime, caller_id, created_time, intpk, json_dict


class SessionStatus(StrEnum):
    """Where a call's session is: still in the intake, or done with it."""

    ACTIVE = "active"  # the intake is running (every webhook may move it)
    ENDED = "ended"  # the call reached an end node or hung up
    REJECTED = "rejected"  # a missed call, rejected unanswered (we call back)
    RATE_LIMITED = "rate_limited"  # turned away: too many calls from the number


class IvrSession(Base):
    """One phone call's position in the intake flow."""

    __tablename__ = "ivr_sessions"
    __table_args__ = (
        Index("ix_ivr_sessions_caller_created", "caller", "created_at"),
        # the calls still in progress, by their last webhook (the sweeper's silent intakes)
        Index(
            "ix_ivr_sessions_active_updated",
            "updated_at",
            postgresql_where=text(f"status = '{SessionStatus.ACTIVE}'"),
            sqlite_where=text(f"status = '{SessionStatus.ACTIVE}'"),
        ),
    )

    id: Mapped[intpk]
    call_sid: Mapped[str] = mapped_column(String(40), unique=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL"), index=True
    )
    caller: Mapped[caller_id]  # the patient's phone (E.164, or a sip:/client: address)
    dialled: Mapped[caller_id]  # our number the call is on
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    channel: Mapped[str] = mapped_column(String(16), default="spoke")  # spoke/district/missed
    spoke_id: Mapped[int | None] = mapped_column(ForeignKey("spokes.id"))
    node: Mapped[str] = mapped_column(String(40))  # the question now being asked
    retries: Mapped[int] = mapped_column(Integer, default=0)  # no-input count at this node
    errors: Mapped[int] = mapped_column(Integer, default=0)  # wrong keys at this node
    language: Mapped[str] = mapped_column(String(8), default="hi")
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.ACTIVE)
    vars: Mapped[json_dict]  # answers the flow branches on (for_whom, complaint, …)
    created_at: Mapped[created_time]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"IvrSession(sid={self.call_sid!r}, node={self.node!r}, status={self.status!r})"
