"""A district admin takes a staff member off duty, back on, or resets their password.

Deactivating takes the person off the district registry the way removing them from the
YAML file does (kept, marked inactive, no longer offered calls, signed out); reactivating
puts them back with the details and roster they had. A password reset works like
``sampark staff set-password``: a temporary password, changed at the next login, shown to
the admin once, and any login lock on the account cleared.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from core.timeutil import utcnow
from models import PortalSession, Staff
from portal import throttle
from portal.admin_forms import snapshot
from portal.admin_registry import FieldProblem, staff_registry
from portal.admin_staff import ADMIN, actor, own_staff
from portal.blueprint import HOME_BY_ROLE, audit, bp, get_db, roles_required
from portal.security import hash_password, password_problem

#: Letters and digits that cannot be mistaken for one another when read out on the phone.
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def temporary_password() -> str:
    """A random password to read out: three groups of four (``k7mp-x2qa-9wtr``)."""
    while True:
        groups = ["".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(3)]
        password = "-".join(groups)
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def _flash_problems(problems: list[FieldProblem]) -> None:
    for problem in problems:
        flash(problem.message, "err")


@bp.post("/admin/staff/<dbid:staff_id>/deactivate")
@roles_required(ADMIN)
def admin_staff_deactivate(staff_id: int) -> ResponseReturnValue:
    """Take a staff member off the registry (inactive: kept, no calls, signed out)."""
    db = get_db()
    staff = own_staff(db, staff_id)
    back = redirect(url_for("portal.admin_staff_edit", staff_id=staff_id))
    if staff.id == g.staff.id:
        flash(gettext("You cannot deactivate your own account."), "err")
        return back
    if not staff.active:
        return back
    before = snapshot(staff)
    problems = staff_registry().save(db, g.staff.district_id, staff.code, None, actor())
    if problems:
        _flash_problems(problems)
        return back
    staff = own_staff(db, staff_id)
    audit(db, "staff.deactivate", "staff", staff.id, before=before, after=snapshot(staff))
    db.commit()
    flash(gettext("%(name)s is deactivated.", name=staff.name), "ok")
    return back


@bp.post("/admin/staff/<dbid:staff_id>/reactivate")
@roles_required(ADMIN)
def admin_staff_reactivate(staff_id: int) -> ResponseReturnValue:
    """Put a deactivated staff member back on the registry, as they were."""
    db = get_db()
    staff = own_staff(db, staff_id)
    back = redirect(url_for("portal.admin_staff_edit", staff_id=staff_id))
    if staff.active:
        return back
    registry = staff_registry()
    before = snapshot(staff)
    entry = registry.entry_of(staff)
    problems = registry.save(db, g.staff.district_id, None, entry, actor())
    if problems:
        _flash_problems(problems)
        return back
    staff = own_staff(db, staff_id)
    audit(db, "staff.reactivate", "staff", staff.id, before=before, after=snapshot(staff))
    db.commit()
    flash(gettext("%(name)s is active again.", name=staff.name), "ok")
    return back


@bp.route("/admin/staff/<dbid:staff_id>/password", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_staff_password(staff_id: int) -> ResponseReturnValue:
    """Reset a password: the admin's or a generated one, changed at the next login."""
    db = get_db()
    staff = own_staff(db, staff_id)
    if staff.role not in HOME_BY_ROLE:
        abort(404)  # pharmacists and hub admins do not sign in to the portal
    if request.method == "GET":
        return render_template("portal/admin_password.html", person=staff)
    password = request.form.get("password", "")[:200].strip() or temporary_password()
    if password_problem(password):
        flash(gettext("Use at least 10 characters, with letters as well as digits."), "err")
        return render_template("portal/admin_password.html", person=staff), 400
    _reset(staff, password)
    audit(db, "staff.password_reset", "staff", staff.id, code=staff.code)
    db.commit()
    return render_template("portal/admin_password_done.html", person=staff, password=password)


def _reset(staff: Staff, password: str) -> None:
    """Set a temporary password, clear the account's login lock, end its sessions."""
    db = get_db()
    staff.password_hash = hash_password(password)
    staff.password_must_change = True
    throttle.clear(db, throttle.account_key(staff.id, staff.code))
    now = utcnow()
    for row in db.scalars(
        select(PortalSession).where(
            PortalSession.staff_id == staff.id,
            PortalSession.revoked_at.is_(None),
            PortalSession.id != g.portal_session.id,  # an admin resetting her own stays in
        )
    ):
        row.revoked_at = now  # whoever knew the old password is signed out
