"""Call legs and SMS messages: what was asked of Twilio, and what Twilio reported."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, caller_id, created_time, db_enum, intpk
from models.consultation import Consultation


class LegRole(enum.StrEnum):
    """Why a call leg exists."""

    PATIENT_INTAKE = "patient_intake"  # the patient's own inbound call
    PATIENT_CALLBACK = "patient_callback"  # we call the patient (missed call, call-back)
    ANM = "anm"
    DOCTOR_OFFER = "doctor_offer"  # a doctor hears the case and accepts or not
    DOCTOR = "doctor"
    READOUT = "readout"  # a prescription read aloud
    EMERGENCY = "emergency"  # connecting the caller to 108


class LegStatus(enum.StrEnum):
    """A call leg's status: ours before the request, then Twilio's (``CallStatus``)."""

    CREATED = "created"  # row written, nothing asked of Twilio yet
    DIALING = "dialing"  # claimed by one worker; the REST request is in flight
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    LOST = "lost"  # never confirmed by Twilio (ended by us)


#: A leg whose call is not over: the guard of one call per number and the reconciliation
#: with Twilio read these rows through ``ix_call_legs_not_ended`` (same text, so the
#: planner proves the partial index applies).
NOT_ENDED = "status NOT IN ('busy', 'canceled', 'completed', 'failed', 'lost', 'no-answer')"


class CallLeg(Base):
    """One phone call, inbound or placed by us.

    ``purpose`` is the idempotency key of a placed call (e.g. ``c42:anm:1``): it is
    unique, written before the REST request, so no call is ever placed twice for
    one purpose.
    """

    __tablename__ = "call_legs"
    #: The doctor queue asks, on every pass, which doctors hold an offer still open: a
    #: small partial index instead of a scan of every leg ever placed.
    __table_args__ = (
        Index(
            "ix_call_legs_open_offers",
            "staff_id",
            postgresql_where=text("role = 'doctor_offer' AND outcome IS NULL"),
            sqlite_where=text("role = 'doctor_offer' AND outcome IS NULL"),
        ),
        Index(
            "ix_call_legs_not_ended",
            "to_number",
            postgresql_where=text(NOT_ENDED),
            sqlite_where=text(NOT_ENDED),
        ),
    )

    id: Mapped[intpk]
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    purpose: Mapped[str | None] = mapped_column(String(80), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    role: Mapped[LegRole] = mapped_column(db_enum(LegRole, "leg_role"))
    direction: Mapped[str] = mapped_column(String(20), default="outbound-api")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    from_number: Mapped[caller_id]
    to_number: Mapped[caller_id]
    status: Mapped[str] = mapped_column(String(20), default=LegStatus.QUEUED)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    answered_by: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))  # workflow: accepted/passed/missed…
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_time]
    started_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    consultation: Mapped[Consultation | None] = relationship()

    def __repr__(self) -> str:
        return f"CallLeg(sid={self.call_sid!r}, role={self.role.value!r}, status={self.status!r})"


class SmsStatus(enum.StrEnum):
    """Where an SMS is; Twilio's message statuses plus our own first two."""

    PENDING = "pending"  # row written, waiting for a worker
    SUBMITTING = "submitting"  # claimed by one worker; the REST request is in flight
    ACCEPTED = "accepted"  # Twilio's (a Messaging Service took it)
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"
    READ = "read"


class SmsMessage(Base):
    """One SMS, with the encoding and part count computed before sending."""

    __tablename__ = "sms_messages"

    id: Mapped[intpk]
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    purpose: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    to_number: Mapped[caller_id]
    from_number: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(60))
    dlt_template_id: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str | None] = mapped_column(String(8))
    script: Mapped[str | None] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))  # "GSM-7" or "UCS-2"
    segments: Mapped[int] = mapped_column(Integer)
    provider_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=SmsStatus.PENDING)  # an SmsStatus
    error_code: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created_time]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return (
            f"SmsMessage(to={self.to_number!r}, purpose={self.purpose!r}, status={self.status!r})"
        )
