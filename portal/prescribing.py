"""Writing, reading and correcting a prescription in the portal."""

from __future__ import annotations

import logging

from flask import abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Consultation, Prescription, SmsMessage, StaffRole
from outbound.sms_status import FINAL_STATUSES
from portal import access
from portal.anm_lists import dispensings_of
from portal.blueprint import audit, bp, get_db, roles_required
from portal.consultations import consultation_context, load_visible
from portal.rx_form import RxForm, consultation_mode, form_context
from prescriptions.notify import SmsPlan
from prescriptions.service import (
    PrescriptionRejected,
    find_by_code,
    issue_prescription,
    preview_prescription,
)

log = logging.getLogger(__name__)


def _require_prescriber(db: Session, c: Consultation, action: str) -> None:
    if not access.may_prescribe(g.staff.id, c):
        audit(db, "access_denied", "consultation", c.id, attempted=action)
        db.commit()
        abort(403)


#: The Flask session's key for the code each consultation's SMS preview showed.
_PREVIEW_CODES = "rx_preview_codes"


def _previewed_code(c: Consultation) -> str | None:
    codes = session.get(_PREVIEW_CODES) or {}
    return codes.get(str(c.id)) if isinstance(codes, dict) else None


def _remember_code(c: Consultation, code: str | None) -> None:
    codes = dict(session.get(_PREVIEW_CODES) or {})
    if code is None:
        codes.pop(str(c.id), None)
    else:
        codes[str(c.id)] = code
    session[_PREVIEW_CODES] = codes


def _issue(
    db: Session,
    c: Consultation,
    form: RxForm,
    *,
    replaces: Prescription | None = None,
) -> tuple[Prescription | None, list[str]]:
    """Issue the form (or re-show it): the new prescription, or the problems.

    The prescription keeps the code the doctor's SMS preview showed, so the SMS queued
    are the ones she read."""
    refused = form.check_medicines(consultation_mode(c))
    draft, problems = form.to_draft()
    if problems:
        return None, problems + [v.message(g.lang) for v in refused]
    try:
        rx = issue_prescription(
            db,
            consultation_id=c.id,
            doctor_id=g.staff.id,
            draft=draft,
            replaces_code=replaces.code if replaces else None,
            correction_reason=form.reason if replaces else None,
            code=_previewed_code(c),
        )
    except PrescriptionRejected as exc:
        db.rollback()
        return None, list(exc.problems)
    db.commit()
    _remember_code(c, None)
    return rx, []


def _preview(
    db: Session,
    c: Consultation,
    form: RxForm,
    *,
    replaces: Prescription | None = None,
) -> tuple[SmsPlan | None, list[str]]:
    """Every SMS issuing the form would send, exactly (nothing is written), or the problems."""
    refused = form.check_medicines(consultation_mode(c))
    draft, problems = form.to_draft()
    if problems:
        return None, problems + [v.message(g.lang) for v in refused]
    try:
        code, plan = preview_prescription(
            db,
            consultation_id=c.id,
            doctor_id=g.staff.id,
            draft=draft,
            replaces_code=replaces.code if replaces else None,
            correction_reason=form.reason if replaces else None,
            code=_previewed_code(c),
        )
    except PrescriptionRejected as exc:
        return None, list(exc.problems)
    finally:
        db.rollback()  # the consultation was locked; nothing was written
    _remember_code(c, code)
    return plan, []


@bp.post("/consultations/<dbid:consultation_id>/prescription")
@roles_required(StaffRole.DOCTOR)
def issue(consultation_id: int) -> ResponseReturnValue:
    """Issue the prescription; or add a row; or show the form again with what is wrong."""
    db = get_db()
    c = load_visible(db, consultation_id, "issue_prescription")
    _require_prescriber(db, c, "issue_prescription")
    form = RxForm.from_request(request.form)
    problems: list[str] = []
    preview: SmsPlan | None = None
    if request.form.get("action") == "add_row":
        form.add_row()
        form.check_medicines(consultation_mode(c))
    elif request.form.get("action") == "preview":
        preview, problems = _preview(db, c, form)
    else:
        rx, problems = _issue(db, c, form)
        if rx is not None:
            return redirect(url_for("portal.prescription", code=rx.code))
    audit(db, "view_consultation", "consultation", c.id, reference=c.reference)
    db.commit()
    status = 422 if problems else 200
    return render_template(
        "portal/consultation.html",
        **consultation_context(db, c),
        **form_context(c, form, problems),
        preview=preview,
    ), status


@bp.get("/consultations/<dbid:consultation_id>/prescription")
@roles_required(StaffRole.DOCTOR)
def issue_form(consultation_id: int) -> ResponseReturnValue:
    """The form lives on the consultation page (e.g. after logging in again mid-form)."""
    return redirect(url_for("portal.consultation", consultation_id=consultation_id, _anchor="rx"))


def load_prescription(db: Session, code: str, action: str) -> Prescription:
    """The prescription with ``code`` if this doctor may see its consultation."""
    rx = find_by_code(db, code)
    if rx is None:
        abort(404)
    load_visible(db, rx.consultation_id, action)
    return rx


@bp.get("/prescriptions/<code>")
@roles_required(StaffRole.DOCTOR)
def prescription(code: str) -> ResponseReturnValue:
    """The issued prescription (every TPG field), its versions and its SMS delivery."""
    db = get_db()
    rx = load_prescription(db, code, "view_prescription")
    messages = db.scalars(
        select(SmsMessage).where(SmsMessage.prescription_id == rx.id).order_by(SmsMessage.id)
    ).all()
    replaces = db.get(Prescription, rx.replaces_id) if rx.replaces_id else None
    replaced_by = db.scalars(select(Prescription).where(Prescription.replaces_id == rx.id)).first()
    pending = any(m.status not in FINAL_STATUSES for m in messages)
    # a continuation goes to whoever got the message it continues
    first_to: dict[str, str] = {}
    for m in messages:
        first_to.setdefault(m.to_number, m.purpose)
    audit(db, "view_prescription", "prescription", rx.id, code=rx.code)
    db.commit()
    return render_template(
        "portal/prescription.html",
        rx=rx,
        c=rx.consultation,
        messages=messages,
        recipient_of={m.id: first_to[m.to_number] for m in messages},
        replaces=replaces,
        replaced_by=replaced_by,
        pending=pending,
        dispensings=dispensings_of(db, rx),
        may_correct=rx.is_current and access.may_prescribe(g.staff.id, rx.consultation),
    )


@bp.route("/prescriptions/<code>/correct", methods=["GET", "POST"])
@roles_required(StaffRole.DOCTOR)
def correct(code: str) -> ResponseReturnValue:
    """Correct an issued prescription: a new version that says what it replaces, and why."""
    db = get_db()
    rx = load_prescription(db, code, "correct_prescription")
    c = rx.consultation
    _require_prescriber(db, c, "correct_prescription")
    if not rx.is_current:
        return redirect(url_for("portal.prescription", code=rx.code))
    problems: list[str] = []
    preview: SmsPlan | None = None
    if request.method == "GET":
        form = RxForm.from_prescription(rx)
    else:
        form = RxForm.from_request(request.form)
        if request.form.get("action") == "add_row":
            form.add_row()
        elif request.form.get("action") == "preview":
            preview, problems = _preview(db, c, form, replaces=rx)
        else:
            new_rx, problems = _issue(db, c, form, replaces=rx)
            if new_rx is not None:
                return redirect(url_for("portal.prescription", code=new_rx.code))
    form.check_medicines(consultation_mode(c))
    audit(db, "view_prescription", "prescription", rx.id, code=rx.code, purpose="correct")
    db.commit()
    page = render_template(
        "portal/correct.html", rx=rx, c=c, preview=preview, **form_context(c, form, problems)
    )
    return page, (422 if problems else 200)
