"""Consultations, their intake answers and their state machine.

The states and every allowed transition are declared here, together, and
nowhere else: ``Consultation.transition`` is the only way a state changes, it
refuses an illegal move, and it writes one ``ConsultationTransition`` row per move
(``Consultation.transition_values`` is the same move, with the same check, for the one
writer that stores the row in a single statement: the worker's fast start).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, caller_id, created_time, db_enum, intpk, json_dict, json_list
from models.district import Spoke, Staff
from models.patient import Patient


class ConsultationState(enum.StrEnum):
    """Where a consultation stands."""

    INTAKE = "intake"  # the IVR is asking
    INTAKE_COMPLETE = "intake_complete"  # all answers in; handed to the workflow
    EMERGENCY = "emergency"  # a danger sign: hospital / 108 advised, ANM alerted
    ABANDONED = "abandoned"  # hung up mid-intake; what was captured is kept
    CONSENT_REFUSED = "consent_refused"
    CALLING_ANM = "calling_anm"  # ringing or briefing the spoke's ANM
    FINDING_DOCTOR = "finding_doctor"  # offers going out to specialists
    BRIDGING = "bridging"  # conference being assembled
    IN_CONFERENCE = "in_conference"  # patient, ANM and doctor talking
    CALLBACK_SCHEDULED = "callback_scheduled"  # waiting for a call window or a retry
    UNREACHABLE = "unreachable"  # every try failed; the patient and ANM were told by SMS
    AWAITING_PRESCRIPTION = "awaiting_prescription"
    PRESCRIBED = "prescribed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = ConsultationState

#: Every allowed move, and only these. ``CANCELLED`` is reachable from any open state.
#: A state that targets itself (calling the next ANM, moving an offer to the next doctor,
#: deferring a call-back again) records each such step as a transition of its own.
TRANSITIONS: dict[ConsultationState, frozenset[ConsultationState]] = {
    S.INTAKE: frozenset(
        {S.INTAKE_COMPLETE, S.EMERGENCY, S.ABANDONED, S.CONSENT_REFUSED, S.CANCELLED}
    ),
    S.ABANDONED: frozenset({S.INTAKE, S.INTAKE_COMPLETE, S.CALLING_ANM, S.CLOSED, S.CANCELLED}),
    S.EMERGENCY: frozenset(
        {S.CALLING_ANM, S.FINDING_DOCTOR, S.CALLBACK_SCHEDULED, S.CLOSED, S.CANCELLED}
    ),
    S.INTAKE_COMPLETE: frozenset(
        {S.CALLING_ANM, S.FINDING_DOCTOR, S.CALLBACK_SCHEDULED, S.CANCELLED}
    ),
    S.CALLING_ANM: frozenset(
        {S.CALLING_ANM, S.FINDING_DOCTOR, S.CALLBACK_SCHEDULED, S.UNREACHABLE, S.CANCELLED}
    ),
    S.FINDING_DOCTOR: frozenset({S.FINDING_DOCTOR, S.BRIDGING, S.CALLBACK_SCHEDULED, S.CANCELLED}),
    S.BRIDGING: frozenset(
        {
            S.IN_CONFERENCE,
            S.CALLBACK_SCHEDULED,
            S.FINDING_DOCTOR,
            S.UNREACHABLE,
            S.AWAITING_PRESCRIPTION,
            S.CANCELLED,
        }
    ),
    # prescribed: the call ended after the doctor issued the prescription during it
    S.IN_CONFERENCE: frozenset(
        {S.AWAITING_PRESCRIPTION, S.PRESCRIBED, S.CALLBACK_SCHEDULED, S.CANCELLED}
    ),
    S.CALLBACK_SCHEDULED: frozenset(
        {
            S.CALLBACK_SCHEDULED,
            S.CALLING_ANM,
            S.FINDING_DOCTOR,
            S.BRIDGING,
            S.UNREACHABLE,
            S.CANCELLED,
        }
    ),
    S.UNREACHABLE: frozenset({S.CALLBACK_SCHEDULED, S.CLOSED}),
    S.AWAITING_PRESCRIPTION: frozenset({S.PRESCRIBED, S.CLOSED}),
    S.PRESCRIBED: frozenset({S.CLOSED}),
    S.CONSENT_REFUSED: frozenset(),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL_STATES = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class IllegalTransition(RuntimeError):
    """A state change that ``TRANSITIONS`` does not allow."""

    def __init__(self, consultation_id: int | None, current: S, target: S) -> None:
        super().__init__(
            f"consultation {consultation_id}: {current.value} -> {target.value} is not allowed"
        )
        self.current = current
        self.target = target


class Consultation(Base):
    """One patient's request for care, from the first ring to the prescription."""

    __tablename__ = "consultations"

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    state: Mapped[ConsultationState] = mapped_column(
        db_enum(ConsultationState, "consultation_state"), default=S.INTAKE, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    state_deadline_at: Mapped[datetime | None] = mapped_column(index=True)
    spoke_id: Mapped[int | None] = mapped_column(ForeignKey("spokes.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    caller_mobile: Mapped[caller_id] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16), default="spoke")  # spoke/district/missed
    language: Mapped[str] = mapped_column(String(8), default="hi")
    consent: Mapped[bool | None] = mapped_column(Boolean)
    complaint: Mapped[str | None] = mapped_column(String(32))
    days: Mapped[int | None] = mapped_column(Integer)
    danger_signs: Mapped[json_list]
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 0 most urgent
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_sid: Mapped[str | None] = mapped_column(String(40))
    specialty: Mapped[str | None] = mapped_column(String(40))
    anm_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    conference_name: Mapped[str | None] = mapped_column(String(64))
    conference_sid: Mapped[str | None] = mapped_column(String(40))
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    details: Mapped[json_dict]
    created_at: Mapped[created_time]
    intake_completed_at: Mapped[datetime | None]
    doctor_joined_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    spoke: Mapped[Spoke | None] = relationship()
    patient: Mapped[Patient | None] = relationship()
    anm: Mapped[Staff | None] = relationship(foreign_keys=[anm_id])
    doctor: Mapped[Staff | None] = relationship(foreign_keys=[doctor_id])
    answers: Mapped[list[IntakeAnswer]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )
    transitions: Mapped[list[ConsultationTransition]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="ConsultationTransition.id",
    )

    def can_transition(self, target: ConsultationState) -> bool:
        return target in TRANSITIONS[self.state]

    def transition(
        self,
        target: ConsultationState,
        reason: str,
        *,
        deadline: datetime | None = None,
    ) -> ConsultationTransition:
        """Move to ``target``, recording why; raise ``IllegalTransition`` if not allowed.

        Args:
            target: the new state.
            reason: a short machine-readable cause, e.g. ``"anm-accepted"``.
            deadline: when the sweeper should look at this consultation again.
        """
        current = self.state if self.state is not None else S.INTAKE
        _check(self.id, current, target)
        row = ConsultationTransition(from_state=current, to_state=target, reason=reason)
        self.transitions.append(row)
        self.state = target
        self.state_deadline_at = deadline
        self.version = (self.version or 1) + 1
        return row

    @staticmethod
    def transition_values(
        consultation_id: int,
        current: ConsultationState,
        version: int | None,
        target: ConsultationState,
        reason: str,
        *,
        deadline: datetime | None = None,
    ) -> Move:
        """``transition`` for a writer that stores the row itself in one statement (the
        worker's fast start), without loading it: the same check, the values to write."""
        _check(consultation_id, current, target)
        return Move(consultation_id, current, target, reason, (version or 1) + 1, deadline)

    def __repr__(self) -> str:
        return f"Consultation(ref={self.reference!r}, state={self.state.value!r})"


class Move(NamedTuple):
    """One state change as the values ``Consultation.transition`` would set and store."""

    consultation_id: int
    from_state: ConsultationState
    to_state: ConsultationState
    reason: str
    version: int  # the consultation's version after the move
    deadline: datetime | None


def _check(consultation_id: int | None, current: ConsultationState, target: S) -> None:
    """Refuse a move ``TRANSITIONS`` does not allow."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(consultation_id, current, target)


class ConsultationTransition(Base):
    """One stored state change: from, to, why and when."""

    __tablename__ = "consultation_transitions"

    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[ConsultationState] = mapped_column(
        db_enum(ConsultationState, "consultation_state")
    )
    to_state: Mapped[ConsultationState] = mapped_column(
        db_enum(ConsultationState, "consultation_state")
    )
    reason: Mapped[str] = mapped_column(String(80))
    at: Mapped[created_time]
    consultation: Mapped[Consultation] = relationship(back_populates="transitions")

    def __repr__(self) -> str:
        return f"Transition({self.from_state.value}->{self.to_state.value}, {self.reason!r})"


class IntakeAnswer(Base):
    """One answer given in the IVR, stored as soon as it is given (one row per question)."""

    __tablename__ = "intake_answers"
    __table_args__ = (UniqueConstraint("consultation_id", "question"),)

    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[created_time]
    consultation: Mapped[Consultation] = relationship(back_populates="answers")

    def __repr__(self) -> str:
        return f"IntakeAnswer({self.question!r}={self.value!r})"
