"""The ANM's prescription page: mark it dispensed, or say which medicines are not in stock.

"Dispensed" and "Not in stock" are ``PrescriptionDispensing`` rows (who, when, what was
missing): an issued prescription never changes. "Not in stock" asks the prescribing doctor
for an alternative from the HWC's list: her start page (the consultation list) and the
prescription page show it in red with a link to correct the prescription, which is where
she acts on it (a correction chooses from the formulary, the HWC's list), and an SMS
brings her that link at once (``portal.anm_stock_sms``). Both actions are idempotent: a
second post of the same form records nothing new and sends nothing.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.runtime import current_runtime
from models import DispenseOutcome, Prescription, PrescriptionDispensing, StaffRole
from portal import anm_scope
from portal.anm_lists import dispensings_of
from portal.anm_readaloud import readaloud_state
from portal.anm_stock_sms import queue_not_in_stock_sms, send_after_commit
from portal.blueprint import audit, bp, get_db, roles_required

#: The longest note the ANM may add to "Not in stock".
NOTE_MAX = 300


def _lock(db: Session, rx: Prescription) -> None:
    """Serialise concurrent posts on one prescription (a double tap)."""
    db.execute(select(Prescription.id).where(Prescription.id == rx.id).with_for_update())


@bp.get("/anm/prescriptions/<code>")
@roles_required(StaffRole.ANM)
def anm_prescription(code: str) -> ResponseReturnValue:
    """The prescription as the ANM dispenses it: medicines, what was recorded, the actions."""
    db = get_db()
    rx = anm_scope.load_prescription_for_anm(db, code, "view_prescription")
    history = dispensings_of(db, rx)
    replaced_by = db.scalars(select(Prescription).where(Prescription.replaces_id == rx.id)).first()
    audit(db, "view_prescription", "prescription", rx.id, code=rx.code)
    db.commit()
    return render_template(
        "portal/anm_prescription.html",
        rx=rx,
        c=rx.consultation,
        history=history,
        dispensed=any(d.dispensed for d in history),
        replaced_by=replaced_by,
        readaloud=readaloud_state(db, rx),
    )


def _back(rx: Prescription) -> ResponseReturnValue:
    return redirect(url_for("portal.anm_prescription", code=rx.code))


def _refuse_if_not_current(rx: Prescription) -> ResponseReturnValue | None:
    if rx.is_current:
        return None
    flash(gettext("This prescription was replaced by a correction."), "err")
    return _back(rx)


@bp.post("/anm/prescriptions/<code>/dispensed")
@roles_required(StaffRole.ANM)
def anm_dispensed(code: str) -> ResponseReturnValue:
    """Record that the patient got the medicines (once; a repeat records nothing)."""
    db = get_db()
    rx = anm_scope.load_prescription_for_anm(db, code, "dispense_prescription")
    if (refused := _refuse_if_not_current(rx)) is not None:
        return refused
    _lock(db, rx)
    if any(d.dispensed for d in dispensings_of(db, rx)):
        db.rollback()
        flash(gettext("Already marked dispensed."), "ok")
        return _back(rx)
    db.add(
        PrescriptionDispensing(
            prescription_id=rx.id, outcome=DispenseOutcome.DISPENSED.value, staff_id=g.staff.id
        )
    )
    audit(db, "dispense_prescription", "prescription", rx.id, code=rx.code)
    db.commit()
    flash(gettext("Marked dispensed."), "ok")
    return _back(rx)


@bp.post("/anm/prescriptions/<code>/not-in-stock")
@roles_required(StaffRole.ANM)
def anm_not_in_stock(code: str) -> ResponseReturnValue:
    """Record the medicines not in stock; the doctor sees it and chooses an alternative."""
    db = get_db()
    rx = anm_scope.load_prescription_for_anm(db, code, "not_in_stock")
    if (refused := _refuse_if_not_current(rx)) is not None:
        return refused
    chosen = set(request.form.getlist("missing"))
    items = [i for i in rx.items if str(i.id) in chosen]
    missing = [f"{i.name} {i.strength}" for i in items]
    note = (request.form.get("note") or "").strip()[:NOTE_MAX] or None
    if not missing:
        flash(gettext("Tick the medicines that are not in stock."), "err")
        return _back(rx)
    _lock(db, rx)
    history = dispensings_of(db, rx)
    if any(d.dispensed for d in history):
        db.rollback()
        flash(gettext("Already marked dispensed."), "err")
        return _back(rx)
    last = history[-1] if history else None
    if last is not None and last.missing == missing and last.note == note:
        db.rollback()
        flash(gettext("The doctor has been asked for an alternative."), "ok")
        return _back(rx)
    row = PrescriptionDispensing(
        prescription_id=rx.id,
        outcome=DispenseOutcome.NOT_IN_STOCK.value,
        staff_id=g.staff.id,
        missing=missing,
        note=note,
    )
    db.add(row)
    db.flush()
    runtime = current_runtime()
    sms_id = queue_not_in_stock_sms(db, runtime, rx=rx, row=row, missing=items, anm=g.staff)
    audit(db, "prescription_not_in_stock", "prescription", rx.id, code=rx.code, missing=missing)
    db.commit()
    send_after_commit(runtime, sms_id)
    flash(gettext("The doctor has been asked for an alternative."), "ok")
    return _back(rx)
