"""The doctor queue: free doctors go to waiting consultations in priority order.

One pass at a time (a PostgreSQL advisory lock held for the transaction), so a
doctor is never offered two consultations at once and the order holds:
emergencies, then children under 5, then pregnancy, then the rest, first come
first served within each (``Consultation.priority``, ``created_at``). A
consultation whose row is locked by a webhook right now is skipped this pass
(``SKIP LOCKED``) and served by the next. The queue is ranked on plain rows; only a
consultation about to be offered a doctor is locked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select, text

from core import clock
from core.runtime import Runtime
from models import Block, Consultation, ConsultationState, Spoke, Staff
from workflows import offers, people, router
from workflows.config import workflow_config
from workflows.context import Ctx
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


#: One waiting consultation, locked for its offer unless a webhook holds it right now.
_LOCK_WAITING = (
    select(Consultation)
    .where(Consultation.id == bindparam("id"), Consultation.state == S.FINDING_DOCTOR)
    .with_for_update(skip_locked=True)
)
#: The waiting consultations in queue order, as plain rows (none locked yet).
_WAITING = (
    select(
        Consultation.id,
        Consultation.spoke_id,
        Consultation.specialty,
        Consultation.language,
        Consultation.details,
    )
    .where(Consultation.state == S.FINDING_DOCTOR)
    .order_by(Consultation.priority, Consultation.created_at, Consultation.id)
    .limit(BATCH)
)


class _Case(Protocol):
    """What ranking needs of a waiting consultation: a plain row or the locked one."""

    @property
    def spoke_id(self) -> int | None: ...
    @property
    def specialty(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def details(self) -> dict[str, Any] | None: ...


def dispatch(runtime: Runtime, now: datetime | None = None) -> Effects:
    """Offer free doctors to waiting consultations; return the calls to place.

    The queue is read as plain rows and ranked; only a consultation about to get an offer
    is locked (``SKIP LOCKED``: one a webhook holds right now waits for the next pass) and
    ranked again on its locked row before the offer.
    """
    now = now or clock.now()
    fx = Effects()
    cfg = workflow_config(runtime.settings)
    with runtime.db.session() as session:
        if not runtime.db.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DISPATCH_LOCK_KEY})
        doctors, district_of = people.doctor_pool(session, now)
        if not router.any_free(doctors):  # the usual re-check at a busy hour: nothing to do
            return fx
        waiting = [r for r in session.execute(_WAITING) if not (r.details or {}).get("offer_leg")]
        if not waiting:
            return fx
        # Only the waiting consultations' spokes (a district has hundreds), as plain rows.
        spoke_ids = {r.spoke_id for r in waiting if r.spoke_id is not None}
        places = {row.id: row for row in session.execute(_PLACES, {"ids": list(spoke_ids)})}
        taken: set[int] = set()

        def best(case: _Case) -> int | None:
            place = places.get(case.spoke_id or -1)
            district = place.district_id if place else None
            pool = [
                replace(d, busy=d.busy or d.id in taken)
                for d in doctors
                if district is None or district_of[d.id] == district
            ]
            specialty = router.pool_specialty(case.specialty or router.GENERAL_MEDICINE, pool)
            ranked = router.rank_doctors(
                pool,
                specialty=specialty,
                home_hub_id=place.hub_id if place else None,
                language=case.language,
                exclude=(case.details or {}).get("offered") or (),
            )
            return ranked[0] if ranked else None

        for row in waiting:
            if best(row) is None:
                continue
            c = session.scalars(_LOCK_WAITING, {"id": row.id}).first()
            doctor_id = best(c) if c is not None and not details(c).get("offer_leg") else None
            if c is None or doctor_id is None:  # held by a webhook, or moved on meanwhile
                continue
            offers.make_offer(
                Ctx(runtime, session, c, now, cfg, fx), session.get_one(Staff, doctor_id)
            )
            taken.add(doctor_id)
            if len(taken) == len(doctors):
                break
    return fx
