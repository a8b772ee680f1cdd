"""The doctor's consultations: the list, and one consultation with everything she needs."""

from __future__ import annotations

from flask import abort, g, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Consultation, IntakeAnswer, StaffRole
from portal import access
from portal.anm_lists import stock_requests
from portal.blueprint import audit, bp, get_db, roles_required
from portal.i18n import COMPLAINTS, label
from portal.labels import RECORDED
from portal.rx_form import form_context
from telephony.gateway import recording_sid


def complaint_label(consultation: Consultation) -> str:
    return label(COMPLAINTS, consultation.complaint)


@bp.get("/consultations")
@roles_required(StaffRole.DOCTOR)
def consultations() -> ResponseReturnValue:
    """Open consultations (most urgent first) and the last two weeks' finished ones."""
    db = get_db()
    open_rows, recent_rows = access.open_and_recent(db, g.staff.id)
    audit(
        db,
        "view_consultation_list",
        "staff",
        g.staff.id,
        consultation_ids=[c.id for c in open_rows + recent_rows],
    )
    db.commit()
    return render_template(
        "portal/consultations.html",
        open_rows=open_rows,
        recent_rows=recent_rows,
        stock_requests=stock_requests(db, g.staff.id),
        complaint_label=complaint_label,
    )


def load_visible(db: Session, consultation_id: int, action: str) -> Consultation:
    """The consultation, if this doctor may see it; 404 / 403 (audited) otherwise."""
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    if not access.may_see(db, g.staff.id, consultation):
        audit(db, "access_denied", "consultation", consultation.id, attempted=action)
        db.commit()
        abort(403)
    return consultation


def consultation_context(db: Session, consultation: Consultation) -> dict[str, object]:
    """What the consultation page shows (the prescription form adds its own part)."""
    answers = db.scalars(
        select(IntakeAnswer)
        .where(IntakeAnswer.consultation_id == consultation.id)
        .order_by(IntakeAnswer.answered_at, IntakeAnswer.id)
    ).all()
    past = access.past_consultations(db, consultation)
    rx_by_consultation = access.prescriptions_of(db, [consultation.id] + [p.id for p in past])
    return {
        "c": consultation,
        "answers": answers,
        "past": past,
        "rx_by_consultation": rx_by_consultation,
        "prescriptions": rx_by_consultation.get(consultation.id, []),
        "complaint_label": complaint_label,
        "recordings": recordings_of(consultation),
        "recorded_questions": RECORDED,
        "may_prescribe": access.may_prescribe(g.staff.id, consultation),
    }


#: What was recorded: the patient saying their name, and the problem in their own words.
KINDS = ("name", "description")


def recording_source(c: Consultation, kind: str) -> str | None:
    """The RecordingSid or RecordingUrl of ``kind`` for this consultation, if recorded."""
    if kind == "name":
        return c.patient.name_recording_url if c.patient else None
    if kind == "description":
        return c.recording_sid or c.recording_url
    return None


def recordings_of(c: Consultation) -> list[str]:
    """The kinds this consultation has a playable recording of (in the order asked)."""
    return [kind for kind in KINDS if recording_sid(recording_source(c, kind))]


@bp.get("/consultations/<dbid:consultation_id>")
@roles_required(StaffRole.DOCTOR)
def consultation(consultation_id: int) -> ResponseReturnValue:
    """One consultation: intake, recording, past visits, prescriptions and the form."""
    db = get_db()
    c = load_visible(db, consultation_id, "view_consultation")
    context = consultation_context(db, c)
    audit(db, "view_consultation", "consultation", c.id, reference=c.reference)
    db.commit()
    return render_template("portal/consultation.html", **context, **form_context(c))
