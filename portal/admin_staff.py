"""Staff administration for district admins: the list, adding and editing a staff member.

Every change goes through the district registry's own validation and importer
(``portal.admin_registry``), so the browser and ``sampark district import`` accept the same
things and ``sampark district export`` writes the change back as it was entered. Each
change writes an ``AuditEvent`` with the person before and after.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from models import Spoke, Staff, StaffRole
from portal.admin_forms import (
    HUB_ROLES,
    ROLE_LABELS,
    STAFF_LANGUAGES,
    FormProblems,
    district_places,
    entry_from_form,
    form_rows,
    snapshot,
    specialties,
)
from portal.admin_registry import FieldProblem, StaffEntry, staff_registry
from portal.blueprint import HOME_BY_ROLE, audit, bp, get_db, roles_required

ADMIN = StaffRole.DISTRICT_ADMIN
STATUSES = ("active", "inactive", "all")


def own_staff(db: Session, staff_id: int) -> Staff:
    """Staff member ``staff_id`` of the signed-in admin's district (else 404)."""
    staff = db.get(Staff, staff_id)
    if staff is None or staff.district_id != g.staff.district_id:
        abort(404)
    return staff


def actor() -> str:
    """Who the registry's own audit row names for a change made here."""
    return f"portal:{g.staff.code}"


@bp.get("/admin/staff")
@roles_required(ADMIN)
def admin_staff() -> ResponseReturnValue:
    """The district's staff, filtered by role, hub, spoke and whether active."""
    db = get_db()
    hubs, spokes = district_places(db, g.staff.district_id)
    role = request.args.get("role", "")
    hub = request.args.get("hub", "")
    spoke = request.args.get("spoke", "")
    status = request.args.get("status", "active")
    query = (
        select(Staff)
        .where(Staff.district_id == g.staff.district_id)
        .options(selectinload(Staff.hub), selectinload(Staff.spoke))
        .order_by(Staff.code)
    )
    if role in ROLE_LABELS:
        query = query.where(Staff.role == StaffRole(role))
    hub_ids = {h.code: h.id for h in hubs}
    if hub in hub_ids:
        spoke_ids = select(Spoke.id).where(Spoke.hub_id == hub_ids[hub])
        query = query.where(or_(Staff.hub_id == hub_ids[hub], Staff.spoke_id.in_(spoke_ids)))
    spoke_ids_by_code = {s.code: s.id for s in spokes}
    if spoke in spoke_ids_by_code:
        query = query.where(Staff.spoke_id == spoke_ids_by_code[spoke])
    if status == "active":
        query = query.where(Staff.active.is_(True))
    elif status == "inactive":
        query = query.where(Staff.active.is_(False))
    people = list(db.scalars(query))
    order = list(ROLE_LABELS)
    people.sort(key=lambda p: (order.index(p.role.value) if p.role.value in order else 9, p.code))
    return render_template(
        "portal/admin_staff.html",
        people=people,
        hubs=hubs,
        spokes=spokes,
        chosen={"role": role, "hub": hub, "spoke": spoke, "status": status},
        statuses=STATUSES,
        role_labels=ROLE_LABELS,
    )


def _render_form(
    entry: StaffEntry,
    problems: list[FieldProblem] | None = None,
    staff: Staff | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    hubs, spokes = district_places(get_db(), g.staff.district_id)
    page = render_template(
        "portal/admin_staff_form.html",
        entry=entry,
        person=staff,
        problems=FormProblems.of(problems or []),
        rows=form_rows(entry),
        hubs=hubs,
        spokes=spokes,
        specialties=specialties(hubs),
        staff_languages=STAFF_LANGUAGES,
        role_labels=ROLE_LABELS,
        hub_roles=HUB_ROLES,
        can_sign_in=StaffRole(entry.role) in HOME_BY_ROLE,
    )
    return page, status


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_staff_new() -> ResponseReturnValue:
    """Add a staff member: first the role, then the form for that role."""
    role = request.values.get("role", "")
    if role not in ROLE_LABELS:
        return render_template("portal/admin_staff_roles.html", role_labels=ROLE_LABELS)
    if request.method == "GET":
        return _render_form(StaffEntry(code="", name="", role=role, mobile=""))
    entry = entry_from_form(request.form, role)
    db = get_db()
    problems = staff_registry().save(db, g.staff.district_id, None, entry, actor())
    if problems:
        return _render_form(entry, problems, status=400)
    staff = db.scalars(select(Staff).where(Staff.code == entry.code)).one()
    audit(db, "staff.add", "staff", staff.id, before=None, after=snapshot(staff))
    db.commit()
    flash(gettext("%(name)s is added.", name=staff.name), "ok")
    return redirect(url_for("portal.admin_staff_edit", staff_id=staff.id))


@bp.route("/admin/staff/<dbid:staff_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def admin_staff_edit(staff_id: int) -> ResponseReturnValue:
    """One staff member: their details and weekly roster (the code stays: it is the key)."""
    db = get_db()
    staff = own_staff(db, staff_id)
    registry = staff_registry()
    if request.method == "GET":
        return _render_form(registry.entry_of(staff), staff=staff)
    if not staff.active:
        flash(gettext("Reactivate this person before changing their details."), "err")
        return redirect(url_for("portal.admin_staff_edit", staff_id=staff.id))
    entry = entry_from_form(request.form, staff.role.value)
    entry.code = staff.code
    entry.fictional = staff.fictional
    before = snapshot(staff)
    problems = registry.save(db, g.staff.district_id, staff.code, entry, actor())
    if problems:
        return _render_form(entry, problems, staff=own_staff(db, staff_id), status=400)
    staff = own_staff(db, staff_id)
    db.refresh(staff)
    audit(db, "staff.edit", "staff", staff.id, before=before, after=snapshot(staff))
    db.commit()
    flash(gettext("The changes are saved."), "ok")
    return redirect(url_for("portal.admin_staff_edit", staff_id=staff.id))
