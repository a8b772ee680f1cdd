"""A consultation's first step (call the first ANM) in three statements, without the ORM.

The worker's hottest job is ``advance(id, "intake_complete")``: route the case, choose
the ANM, write her call leg and the move to ``calling_anm``, then place the call. The
full path (``engine.run_step`` → ``anm.start``) does this on a locked row through the
ORM; here the same decisions are made from two reads (the consultation with its caller
id, the block's ANMs with their roster slots) and written by one compare-and-set
statement on the thread's own autocommit connection (``Database.autocommit``): the
consultation's update (only if the row is still the one read), the leg (``dialing``:
claimed by this worker) and the transition, committed together and durably before
the call is placed.

Anything unusual — not PostgreSQL, a state other than ``intake_complete`` or
``emergency``, an ANM already called, nobody on duty, a lost race (the row was written
since it was read, or the leg's purpose exists), any database error — returns None
and the full path handles the event. ``tests/workflows/test_fast_start.py`` holds both
paths to the same rows and requests.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, literal_column, select, text

from core import clock
from core.runtime import Runtime
from core.timeutil import utcnow
from models import TRANSITIONS, CallLeg, Consultation, ConsultationState, LegRole, Patient
from workflows import people, router
from workflows.config import workflow_config
from workflows.engine import capped_deadline, iso
from workflows.legs import describe
from workflows.store import DISTRICT_LINE, Effects, own_number, pick_caller_id

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
        own_number(Consultation.spoke_id).label("own_number"),
        DISTRICT_LINE.label("district_line"),
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
            state = CAST(:to_state AS consultation_state), version = version + 1,
            state_deadline_at = :deadline, specialty = :specialty, priority = :priority,
            intake_completed_at = :completed, details = CAST(:details AS json)
        WHERE id = :id AND xmin = CAST(:row_version AS xid)
        RETURNING id
    ), leg AS (
        INSERT INTO call_legs (id, consultation_id, purpose, role, direction, staff_id,
                               from_number, to_number, status, attempt, created_at)
        SELECT :leg_id, id, :purpose, CAST(:role AS leg_role), 'outbound-api', :staff_id,
               :from_number, :to_number, 'dialing', :attempt, :at
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
        return None


def _start(runtime: Runtime, conn: Connection, cid: int, now: datetime) -> Effects | None:
    row = conn.execute(_READ, {"id": cid}).one_or_none()
    if row is None or row.state not in STARTABLE or row.spoke_id is None:
        return None
    d = dict(row.details or {})
    if d.get("anm_calls") or d.get("anm_tried"):
        return None  # an ANM was called before: the full path knows the rest
    order = people.order_anms(
        conn.execute(people.ANMS, people.anm_params(row.spoke_id, now)).all(), row.spoke_id, now
    )
    if not order:
        return None  # nobody on duty: the full path goes on to a doctor
    cfg = workflow_config(runtime.settings)
    # As anm.start, call_next, Ctx.call and Ctx.move do on the full path.
    specialty = row.specialty or router.specialty_for(
        row.complaint, row.age_years, cfg.specialty_map, child_age_years=cfg.child_age_years
    )
    rank = router.priority_for(bool(row.emergency), row.age_years, row.complaint)
    priority = min(row.priority if row.priority is not None else rank, int(rank))
    staff_id, mobile = order[0]
    leg_id = int(row.leg_id)
    d.update(anm_tried=[staff_id], anm_calls=1, anm_leg=leg_id)
    target = S.CALLING_ANM
    ring = timedelta(seconds=cfg.anm_ring_timeout_s + cfg.anm_menu_grace_s)
    deadline = capped_deadline(d, cfg, target, now + ring)
    d["due"] = iso(deadline)
    if target not in TRANSITIONS[row.state]:
        return None
    leg = CallLeg(
        id=leg_id,
        consultation_id=cid,
        purpose=f"c{cid}:anm:1",
        role=LegRole.ANM,
        staff_id=staff_id,
        from_number=pick_caller_id(row.own_number, row.district_line),
        to_number=mobile,
        attempt=1,
    )
    written = conn.execute(
        _WRITE,
        {
            "id": cid,
            "row_version": row.row_version,
            "from_state": row.state.value,
            "to_state": target.value,
            "deadline": deadline,
            "specialty": specialty,
            "priority": priority,
            "completed": row.intake_completed_at or now,
            "details": json.dumps(d),
            "leg_id": leg_id,
            "purpose": leg.purpose,
            "role": LegRole.ANM.value,
            "staff_id": staff_id,
            "from_number": leg.from_number,
            "to_number": mobile,
            "attempt": 1,
            "at": utcnow(),
            "reason": "emergency" if row.state is S.EMERGENCY else "intake-complete",
        },
    ).scalar_one()
    if written != 1:
        return None  # another process moved it first: the full path looks again
    c = Consultation(
        id=cid,
        state=target,
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
