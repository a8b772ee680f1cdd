"""A consultation's first step (call the first ANM) in three statements, without the ORM.

The worker's hottest job is ``advance(id, "intake_complete")``: route the case, choose
the ANM, write her call leg and the move to ``calling_anm``, then place the call. The
full path (``engine.run_step`` → ``anm.start``) does this on a locked row through the
ORM; here the same decision (``start_plan.plan``, which ``anm.start`` follows too) is
made from two reads (the consultation with its caller id, the block's ANMs with their
roster slots), the move is the model's (``Consultation.transition_values``: the check of
``Consultation.transition``, and the values it would store), and all of it
is written by one compare-and-set statement on the thread's own autocommit connection
(``Database.autocommit``): the consultation's update (only if the row is still the one
read), the leg (``dialing``: claimed by this worker) and the transition, committed
together and durably before the call is placed.

Anything unusual — not PostgreSQL, a state other than ``intake_complete`` or
``emergency``, an ANM already called, nobody on duty, a lost race (the row was written
since it was read, or the leg's purpose exists), any database error — returns None
and the full path handles the event. ``tests/workflows/test_fast_start.py`` holds both
paths to the same rows and requests.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, literal_column, select, text

from core import clock
from core.runtime import Runtime
from core.timeutil import utcnow
from models import CallLeg, Consultation, ConsultationState, LegRole, Patient
from models.telephony import LegStatus
from outbound.caller_id import caller_id_column, pick
from workflows import people, start_plan
from workflows.config import workflow_config
from workflows.context import capped_deadline, iso
from workflows.legs import describe
from workflows.store import Effects

log = logging.getLogger(__name__)
S = ConsultationState
STARTABLE = (S.INTAKE_COMPLETE, S.EMERGENCY)

_READ = (
    select(
        Consultation.state,
        Consultation.version,
        Consultation.spoke_id,
        Consultation.specialty,
        Consultation.priority,
        Consultation.emergency,
        Consultation.complaint,
        Consultation.intake_completed_at,
        Consultation.details,
        Consultation.reference,
        Consultation.language,
        Consultation.conference_name,
        Patient.age_years,
        func.nextval(func.pg_get_serial_sequence("call_legs", "id")).label("leg_id"),
        literal_column("consultations.xmin::text").label("row_version"),
        caller_id_column(Consultation.spoke_id, Consultation.id).label("caller_id"),
    )
    .outerjoin(Patient, Consultation.patient_id == Patient.id)
    .where(Consultation.id == bindparam("id"))
)
#: The move, the leg and the transition, all or nothing, and only if the row is still the
#: very version read (PostgreSQL's ``xmin``: any other write since, even one to
#: ``details`` alone, changed it).
_WRITE = text(
    """
    WITH moved AS (
        UPDATE consultations SET
            state = CAST(:to_state AS consultation_state), version = :version,
            state_deadline_at = :deadline, specialty = :specialty, priority = :priority,
            intake_completed_at = :completed, details = CAST(:details AS json)
        WHERE id = :id AND xmin = CAST(:row_version AS xid)
        RETURNING id
    ), leg AS (
        INSERT INTO call_legs (id, consultation_id, purpose, role, direction, staff_id,
                               from_number, to_number, status, attempt, created_at)
        SELECT :leg_id, id, :purpose, CAST(:role AS leg_role), 'outbound-api', :staff_id,
               :from_number, :to_number, :status, :attempt, :at
        FROM moved
    ), moves AS (
        INSERT INTO consultation_transitions (consultation_id, from_state, to_state, reason, at)
        SELECT id, CAST(:from_state AS consultation_state),
               CAST(:to_state AS consultation_state), :reason, :at
        FROM moved
    )
    SELECT count(*) FROM moved
    """
)


def try_start(
    runtime: Runtime, consultation_id: int, now: datetime | None = None
) -> Effects | None:
    """Start the consultation (first ANM called, leg claimed), or None for the full path.

    Returns:
        The effects to apply: the claimed leg's request and the state's timer.
    """
    if runtime.db.engine.dialect.name != "postgresql":
        return None
    try:
        with runtime.db.autocommit() as conn:
            return _start(runtime, conn, consultation_id, now or clock.now())
    except Exception as exc:  # the full path runs the step (and reports a real failure)
        log.info(
            "fast start not taken",
            extra={"consultation_id": consultation_id, "error": repr(exc)},
        )
        return None


def _start(runtime: Runtime, conn: Connection, cid: int, now: datetime) -> Effects | None:
    row = conn.execute(_READ, {"id": cid}).one_or_none()
    if row is None or row.state not in STARTABLE or row.spoke_id is None:
        return None
    d = dict(row.details or {})
    if d.get("anm_calls") or d.get("anm_tried"):
        return None  # an ANM was called before: the full path knows the rest
    cfg = workflow_config(runtime.settings)
    facts = start_plan.Facts(
        state=row.state,
        specialty=row.specialty,
        priority=row.priority,
        emergency=bool(row.emergency),
        complaint=row.complaint,
        age_years=row.age_years,
        intake_completed_at=row.intake_completed_at,
        details=d,
    )
    rows = conn.execute(people.ANMS, people.anm_params(row.spoke_id, now)).all()
    plan = start_plan.plan(facts, people.order_anms(rows, row.spoke_id, now), cfg, now)
    if plan.call is None or plan.target is None:
        return None  # nobody on duty: the full path goes on to a doctor
    leg_id = int(row.leg_id)
    d.update(plan.call.bookkeeping(leg_id))
    # As Ctx.move: the deadline capped by a waiting patient's wait, kept in the bookkeeping.
    deadline = capped_deadline(d, cfg, plan.target, plan.deadline)
    d["due"] = iso(deadline)
    move = Consultation.transition_values(  # the model's check: refuses an illegal move
        cid, row.state, row.version, plan.target, plan.reason, deadline=deadline
    )
    leg = CallLeg(
        id=leg_id,
        consultation_id=cid,
        purpose=plan.call.purpose(cid),
        role=LegRole.ANM,
        staff_id=plan.call.staff_id,
        from_number=pick(runtime.settings, row.caller_id),
        to_number=plan.call.mobile,
        attempt=plan.call.attempt,
    )
    written = conn.execute(
        _WRITE,
        {
            "id": cid,
            "row_version": row.row_version,
            "from_state": move.from_state.value,
            "to_state": move.to_state.value,
            "version": move.version,
            "deadline": move.deadline,
            "specialty": plan.specialty,
            "priority": plan.priority,
            "completed": plan.intake_completed_at,
            "details": json.dumps(d),
            "leg_id": leg_id,
            "purpose": leg.purpose,
            "role": leg.role.value,
            "staff_id": leg.staff_id,
            "from_number": leg.from_number,
            "to_number": leg.to_number,
            "status": LegStatus.DIALING.value,
            "attempt": leg.attempt,
            "at": utcnow(),
            "reason": move.reason,
        },
    ).scalar_one()
    if written != 1:
        return None  # another process moved it first: the full path looks again
    c = Consultation(
        id=cid,
        state=move.to_state,
        details=d,
        reference=row.reference,
        language=row.language,
        conference_name=row.conference_name,
    )
    fx = Effects()
    fx.claimed.append((leg_id, describe(runtime, c, leg)))
    if deadline is not None:
        fx.timers.append((deadline, cid))
    return fx
