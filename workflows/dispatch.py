"""The doctor queue: free doctors go to waiting consultations in priority order.

One pass at a time (a PostgreSQL advisory lock held for the transaction), so a
doctor is never offered two consultations at once and the order holds:
emergencies, then children under 5, then pregnancy, then the rest, first come
first served within each (``Consultation.priority``, ``created_at``). A
consultation whose row is locked by a webhook right now is skipped this pass
(``SKIP LOCKED``) and served by the next.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import bindparam, select, text

from models import Block, Consultation, ConsultationState, Spoke, Staff
from sampark.runtime import Runtime
from workflows import clock, people, router
from workflows.config import workflow_config
from workflows.engine import Ctx
from workflows.store import Effects, details

S = ConsultationState
DISPATCH_LOCK_KEY = 0x5A4D5041  # "ZMPA": one doctor queue per database
BATCH = 200


#: A spoke's hub and district: where the router looks first, and the district to stay in.
_PLACES = (
    select(Spoke.id, Spoke.hub_id, Block.district_id)
    .join(Block, Spoke.block_id == Block.id)
    .where(Spoke.id.in_(bindparam("ids", expanding=True)))
)


def dispatch(runtime: Runtime, now: datetime | None = None) -> Effects:
    """Offer free doctors to waiting consultations; return the calls to place."""
    now = now or clock.now()
    fx = Effects()
    cfg = workflow_config(runtime.settings)
    with runtime.db.session() as session:
        if not runtime.db.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DISPATCH_LOCK_KEY})
        doctors, district_of = people.doctor_pool(session, now)
        if not router.any_free(doctors):  # the usual re-check at a busy hour: nothing to do
            return fx
        waiting = session.scalars(
            select(Consultation)
            .where(Consultation.state == S.FINDING_DOCTOR)
            .order_by(Consultation.priority, Consultation.created_at, Consultation.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        waiting = [c for c in waiting if not details(c).get("offer_leg")]
        if not waiting:
            return fx
        taken: set[int] = set()
        # Only the waiting consultations' spokes (a district has hundreds), as plain rows.
        spoke_ids = {c.spoke_id for c in waiting if c.spoke_id is not None}
        places = {row.id: row for row in session.execute(_PLACES, {"ids": list(spoke_ids)})}
        for c in waiting:
            place = places.get(c.spoke_id or -1)
            district = place.district_id if place else None
            pool = [
                replace(d, busy=d.busy or d.id in taken)
                for d in doctors
                if district is None or district_of[d.id] == district
            ]
            specialty = router.pool_specialty(c.specialty or router.GENERAL_MEDICINE, pool)
            ranked = router.rank_doctors(
                pool,
                specialty=specialty,
                home_hub_id=place.hub_id if place else None,
                language=c.language,
                exclude=details(c).get("offered") or (),
            )
            if not ranked:
                continue
            from workflows import offers

            doctor = session.get_one(Staff, ranked[0])
            offers.make_offer(Ctx(runtime, session, c, now, cfg, fx), doctor)
            taken.add(ranked[0])
            if len(taken) == len(doctors):
                break
    return fx
