"""The ANM's workspace (``/portal/anm``): her HWC's patients, on her phone.

The start page lists what waits and what is due at her HWC (and, labelled as cover, at
her block's HWCs with no ANM on duty now: ``portal.anm_scope``); one consultation opens
with its intake, the patient's recordings and its prescriptions. Every view is audited.
"""

from __future__ import annotations

from flask import g, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeutil import to_ist, utcnow
from models import Consultation, IntakeAnswer, Spoke, StaffRole
from portal import access, anm_scope
from portal.anm_lists import follow_up_overdue, latest_dispensing, workspace
from portal.blueprint import audit, bp, get_db, roles_required
from portal.consultations import complaint_label, recordings_of
from portal.labels import RECORDED


def _spoke_names(db: Session, spoke_ids: list[int]) -> list[str]:
    if not spoke_ids:
        return []
    return list(db.scalars(select(Spoke.name).where(Spoke.id.in_(spoke_ids)).order_by(Spoke.name)))


def page_helpers() -> dict[str, object]:
    """What the ANM's templates use besides the portal's globals."""
    return {
        "complaint_label": complaint_label,
        "recordings_of": recordings_of,
        "overdue": lambda rx: follow_up_overdue(rx, to_ist(utcnow()).date()),
    }


@bp.get("/anm")
@roles_required(StaffRole.ANM)
def anm_home() -> ResponseReturnValue:
    """Her HWC's consultations, call-backs, follow-ups, alerts and prescriptions to dispense."""
    db = get_db()
    anm = g.staff
    now = utcnow()
    own = workspace(db, anm_scope.own_filter(anm), now)
    cover_ids = anm_scope.covered_spoke_ids(db, anm, now)
    cover = workspace(db, Consultation.spoke_id.in_(cover_ids), now) if cover_ids else None
    audit(
        db,
        "view_anm_workspace",
        "staff",
        anm.id,
        consultation_ids=own.consultation_ids() + (cover.consultation_ids() if cover else []),
        prescription_ids=own.prescription_ids() + (cover.prescription_ids() if cover else []),
        covered_spoke_ids=cover_ids,
    )
    db.commit()
    return render_template(
        "portal/anm_home.html",
        spoke=anm.spoke,
        own=own,
        cover=cover,
        cover_names=_spoke_names(db, cover_ids),
        **page_helpers(),
    )


@bp.get("/anm/consultations/<dbid:consultation_id>")
@roles_required(StaffRole.ANM)
def anm_consultation(consultation_id: int) -> ResponseReturnValue:
    """One consultation of her HWC: intake, recordings, prescriptions (audited)."""
    db = get_db()
    c = anm_scope.load_for_anm(db, consultation_id, "view_consultation")
    answers = db.scalars(
        select(IntakeAnswer)
        .where(IntakeAnswer.consultation_id == c.id)
        .order_by(IntakeAnswer.answered_at, IntakeAnswer.id)
    ).all()
    prescriptions = access.prescriptions_of(db, [c.id]).get(c.id, [])
    audit(
        db,
        "view_consultation",
        "consultation",
        c.id,
        reference=c.reference,
        cover=anm_scope.is_cover(g.staff, c),
    )
    db.commit()
    return render_template(
        "portal/anm_consultation.html",
        c=c,
        answers=answers,
        prescriptions=prescriptions,
        dispensing=latest_dispensing(db, [rx.id for rx in prescriptions]),
        cover=anm_scope.is_cover(g.staff, c),
        recorded_questions=RECORDED,
        **page_helpers(),
    )
