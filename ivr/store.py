"""The IVR's database work: sessions, consultations, answers and patients.

The hot path (one webhook per answer) reads the call's session with one query
and writes with plain UPDATE / INSERT … ON CONFLICT statements, in the webhook's
single transaction; the ORM is used only where a state changes
(``Consultation.transition`` is the only way to change a state).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, and_, func, not_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.phones import is_withheld
from core.timeutil import utcnow
from ivr import hotpath
from ivr.engine import CallState, Effects, SpokeInfo
from ivr.writes import plan_step
from models import (
    Block,
    Consultation,
    ConsultationState,
    District,
    IvrSession,
    Patient,
    ServiceNumber,
    Spoke,
)
from models.ivr import SessionStatus
from outbound.caller_id import DISTRICT_LINE

log = logging.getLogger(__name__)
S = ConsultationState
_SESSIONS: Table = IvrSession.__table__  # type: ignore[assignment]


@dataclass
class LoadedCall:
    """A call's session row, as the engine needs it."""

    id: int
    consultation_id: int | None
    caller: str
    status: str
    state: CallState


def load_call(s: Session, call_sid: str) -> LoadedCall | None:
    """The call's session (one query, ``ivr.hotpath.SELECT_CALL``), or None if unseen."""
    row = hotpath.select_call(s, call_sid)
    if row is None:
        return None
    state = CallState(
        node=row.node,
        language=row.language,
        retries=row.retries,
        errors=row.errors,
        vars=hotpath.call_vars(row.vars),
    )
    return LoadedCall(row.id, row.consultation_id, row.caller, row.status, state)


def save_call(s: Session, call: LoadedCall, *, status: str | None = None) -> None:
    st = call.state
    values: dict[str, Any] = {
        "node": st.node,
        "language": st.language,
        "retries": st.retries,
        "errors": st.errors,
        "vars": st.vars,
        "updated_at": utcnow(),
    }
    if status:
        values["status"] = status
    s.execute(update(_SESSIONS).where(_SESSIONS.c.id == call.id).values(**values))


class DbLookups:
    """What the engine may ask of the database."""

    def __init__(self, s: Session) -> None:
        self.s = s

    def spoke_by_code(self, code: str) -> SpokeInfo | None:
        row = self.s.execute(
            select(Spoke.id, Spoke.short_code, District.ambulance_number)
            .join(Block, Spoke.block_id == Block.id)
            .join(District, Block.district_id == District.id)
            .where(Spoke.short_code == code)
        ).first()
        return SpokeInfo(row.id, row.short_code, row.ambulance_number) if row else None


# -- a step --------------------------------------------------------------------------
def write_step(s: Session, call: LoadedCall, effects: Effects, status: str) -> None:
    """Store what the caller just said and where the call now stands (as soon as it is said).

    What is written is decided by ``ivr.writes.plan_step`` (the fast path's decision
    too); ``ivr.hotpath.write`` executes it (one statement on PostgreSQL).
    """
    plan = plan_step(call.id, call.consultation_id, call.state, effects, status)
    call.state.vars = plan.session["vars"]  # a danger sign joins the call's list
    hotpath.write(s, plan)


def link_patient(s: Session, call: LoadedCall, relation: str) -> None:
    """Make the caller (self) or a new child/relative linked to the caller the patient."""
    st = call.state
    caller = _caller_patient(s, call.caller, st.language)
    st.vars["caller_patient_id"] = caller.id
    st.vars["sms_script"] = caller.sms_script  # chosen on an earlier call: not asked again
    if relation == "self":
        patient = caller
    else:
        patient = Patient(
            mobile=call.caller,
            caregiver_id=caller.id,
            relation=relation,
            preferred_language=st.language,
            sms_script=caller.sms_script,  # the phone's script, for the SMS to this number
        )
        s.add(patient)
        s.flush()
    st.vars["patient_id"] = patient.id
    known = relation == "self" and patient.age_years is not None and patient.sex is not None
    st.vars["patient_known"] = True if known else None
    s.execute(
        update(Consultation)
        .where(Consultation.id == call.consultation_id)
        .values(patient_id=patient.id)
    )


def _caller_patient(s: Session, mobile: str, language: str) -> Patient:
    """The patient record of the phone ``mobile`` (a withheld ID is nobody's: always new)."""
    patient = None
    if not is_withheld(mobile):
        patient = s.scalars(
            select(Patient)
            .where(Patient.mobile == mobile, Patient.caregiver_id.is_(None))
            .order_by(Patient.id)
            .limit(1)
        ).first()
    if patient is None:
        patient = Patient(mobile=mobile, preferred_language=language)
        s.add(patient)
        s.flush()
    return patient


# -- outcomes --------------------------------------------------------------------------
def finish(s: Session, consultation_id: int | None, outcome: str, reason: str) -> bool:
    """Move the consultation to the outcome's state; True if it moved (hand it off)."""
    if consultation_id is None or not outcome:
        return False
    target = S(outcome)
    consultation = s.get(Consultation, consultation_id, with_for_update=True)
    if consultation is None or consultation.state == target:
        return False
    if not consultation.can_transition(target):
        log.info(
            "consultation not moved: its state changed meanwhile",
            extra={"consultation_id": consultation_id, "state": consultation.state.value},
        )
        return False
    consultation.transition(target, reason)
    if target in (S.INTAKE_COMPLETE, S.EMERGENCY):
        consultation.intake_completed_at = consultation.intake_completed_at or utcnow()
    return True


# -- starting a call -------------------------------------------------------------------
@dataclass(frozen=True)
class Dialled:
    """The number a call is on, from the registry."""

    kind: str  # spoke / district / missed_call
    spoke_id: int | None
    ambulance_number: str


#: Missed-call lines seen by this process: when the database is down, a call to one
#: of them is still rejected (free for the caller) rather than answered with an apology.
MISSED_CALL_LINES: set[str] = set()


def dialled_number(s: Session, number: str) -> Dialled | None:
    row = s.execute(
        select(ServiceNumber.kind, ServiceNumber.spoke_id, District.ambulance_number)
        .join(District, ServiceNumber.district_id == District.id)
        .where(ServiceNumber.number == number)
    ).first()
    if row is None:
        return None
    if row.kind.value == "missed_call":
        MISSED_CALL_LINES.add(number)
    return Dialled(row.kind.value, row.spoke_id, row.ambulance_number)


def district_line(s: Session) -> str | None:
    """The district-wide line (the first ``district`` number), if the registry has one."""
    return s.scalar(select(DISTRICT_LINE))


def recent_calls(s: Session, caller: str, minutes: int) -> int:
    since = utcnow() - timedelta(minutes=minutes)
    return int(
        s.scalar(
            select(func.count())
            .select_from(_SESSIONS)
            .where(_SESSIONS.c.caller == caller, _SESSIONS.c.created_at >= since)
        )
        or 0
    )


def resumable_call(
    s: Session, caller: str, minutes: int, consultation_id: int | None = None
) -> IvrSession | None:
    """The caller's last intake if it was abandoned within ``minutes`` (to resume it).

    With ``consultation_id`` (our call-back offering to restart that intake), its last
    call is resumed however long ago it was abandoned.
    """
    recent = IvrSession.updated_at >= utcnow() - timedelta(minutes=minutes)
    where = recent if consultation_id is None else IvrSession.consultation_id == consultation_id
    row = s.execute(
        select(IvrSession, Consultation.state)
        .join(Consultation, IvrSession.consultation_id == Consultation.id)
        .where(IvrSession.caller == caller, where)
        .order_by(IvrSession.updated_at.desc(), IvrSession.id.desc())
        .limit(1)
    ).first()
    if row is None or row.state != S.ABANDONED:
        return None
    return row[0]


def caller_memory(s: Session, caller: str) -> tuple[str | None, int | None, str | None]:
    """A returning caller's language and spoke (id, short code), from their last consultation.

    The language counts as chosen once the caller got past the language question
    (consent answered either way). A call that only heard a prescription (cancelled
    before consent) is not a memory.
    """
    only_heard_prescription = and_(
        Consultation.consent.is_(None), Consultation.state == S.CANCELLED
    )
    last = s.execute(
        select(Consultation.language, Consultation.consent, Spoke.id, Spoke.short_code)
        .outerjoin(Spoke, Consultation.spoke_id == Spoke.id)
        .where(Consultation.caller_mobile == caller, not_(only_heard_prescription))
        .order_by(Consultation.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None, None, None
    language = last.language if last.consent is not None else None
    return language, last.id, last.short_code


def new_reference(s: Session) -> str:
    """A six-digit reference not yet used (read to the caller digit by digit)."""
    for _ in range(20):
        ref = str(secrets.randbelow(900000) + 100000)
        if s.scalar(select(Consultation.id).where(Consultation.reference == ref)) is None:
            return ref
    raise RuntimeError("could not find a free consultation reference")


def create_intake(
    s: Session,
    *,
    call_sid: str,
    caller: str,
    dialled: str,
    direction: str,
    channel: str,
    spoke_id: int | None,
    state: CallState,
) -> LoadedCall:
    """A new consultation in state intake and the call's session, flushed."""
    for attempt in range(3):
        try:
            with s.begin_nested():
                consultation = Consultation(
                    reference=new_reference(s),
                    state=S.INTAKE,
                    caller_mobile=caller,
                    channel=channel,
                    language=state.language,
                    spoke_id=spoke_id,
                    details={"call_sid": call_sid},
                )
                s.add(consultation)
                s.flush()
            break
        except IntegrityError:
            if attempt == 2:
                raise
    state.vars["reference"] = consultation.reference
    row = IvrSession(
        call_sid=call_sid,
        consultation_id=consultation.id,
        caller=caller,
        dialled=dialled,
        direction=direction,
        channel=channel,
        spoke_id=spoke_id,
        node=state.node,
        language=state.language,
        vars=state.vars,
    )
    s.add(row)
    s.flush()
    return LoadedCall(row.id, consultation.id, caller, SessionStatus.ACTIVE, state)


def record_call(
    s: Session, *, call_sid: str, caller: str, dialled: str, direction: str, node: str, status: str
) -> None:
    """A call that runs no intake (missed call, rate-limited), kept for counting and audit."""
    if s.scalar(select(_SESSIONS.c.id).where(_SESSIONS.c.call_sid == call_sid)) is not None:
        return
    s.add(
        IvrSession(
            call_sid=call_sid,
            caller=caller,
            dialled=dialled,
            direction=direction,
            channel="missed" if node == "missed_call" else "spoke",
            node=node,
            status=status,
            vars={},
        )
    )
