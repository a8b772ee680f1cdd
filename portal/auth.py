"""Staff log in (mobile number or staff code + password), out, and change their password.

Doctors, ANMs and district admins sign in here (``blueprint.HOME_BY_ROLE``); each lands on
their role's own page. A password someone else set (``sampark staff set-password``, an
admin's reset) must be changed before anything else opens.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.phones import InvalidPhoneNumber, normalize
from core.timeutil import format_ist, utcnow
from models import PortalSession, Staff
from portal import throttle
from portal.blueprint import (
    ABSOLUTE_TIMEOUT,
    HOME_BY_ROLE,
    audit,
    bp,
    get_db,
    home_for,
    login_required,
    request_ip,
    safe_next,
)
from portal.security import (
    hash_password,
    new_token,
    password_problem,
    token_hash,
    verify_password,
)

log = logging.getLogger(__name__)


def find_staff(db: Session, identifier: str) -> Staff | None:
    """The active staff member who may sign in whose code or mobile is ``identifier``."""
    identifier = identifier.strip()
    if not identifier:
        return None
    conditions = [func.upper(Staff.code) == identifier.upper()]
    with contextlib.suppress(InvalidPhoneNumber):
        conditions.append(Staff.mobile == normalize(identifier))
    return db.scalars(
        select(Staff).where(
            or_(*conditions), Staff.role.in_(list(HOME_BY_ROLE)), Staff.active.is_(True)
        )
    ).first()


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form; on POST, check the password under the failed-login limits."""
    if g.staff is not None:
        return redirect(safe_next(request.args.get("next"), home_for(g.staff)))
    if request.method == "GET":
        if request.args.get("expired"):
            flash(gettext("Your session ended. Please log in again."), "err")
        return render_template("portal/login.html", identifier="")

    identifier = request.form.get("identifier", "")[:80]
    password = request.form.get("password", "")[:200]
    db = get_db()
    now = utcnow()
    doctor = find_staff(db, identifier)  # or ANM, or district admin
    keys = [
        throttle.account_key(doctor.id if doctor else None, identifier),
        throttle.address_key(request_ip()),
    ]
    blocked = throttle.blocked_until(db, keys, now)
    if blocked is not None:
        audit(db, "login_refused", "staff", doctor.id if doctor else None, reason="throttled")
        db.commit()
        return _refused(identifier, blocked, now)

    ok, new_hash = verify_password(doctor.password_hash if doctor else None, password)
    if not ok or doctor is None:
        account = throttle.record_failure(db, keys[0], throttle.ACCOUNT_LIMITS, now)
        address = throttle.record_failure(db, keys[1], throttle.ADDRESS_LIMITS, now)
        locked = throttle.is_locked(account, throttle.ACCOUNT_LIMITS) or throttle.is_locked(
            address, throttle.ADDRESS_LIMITS
        )
        audit(
            db,
            "login_failed",
            "staff",
            doctor.id if doctor else None,
            failures=account.failures,
            locked=locked,
        )
        db.commit()
        if locked:
            untils = [r.locked_until for r in (account, address) if r.locked_until is not None]
            return _refused(identifier, max(untils), now)
        flash(gettext("Wrong mobile number, staff code or password."), "err")
        return render_template("portal/login.html", identifier=identifier), 401

    if new_hash:
        doctor.password_hash = new_hash
    throttle.clear(db, keys[0])
    token = new_token()
    db.add(
        PortalSession(
            token_hash=token_hash(token),
            staff_id=doctor.id,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
            ip=request_ip(),
            user_agent=request.headers.get("User-Agent", "")[:200],
        )
    )
    g.staff = doctor
    audit(db, "login", "staff", doctor.id)
    db.commit()
    lang = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) at every login: no fixation
    session["sid"] = token
    session["csrf"] = new_token()
    if lang:
        session["lang"] = lang
    return redirect(safe_next(request.args.get("next"), home_for(doctor)))


def _refused(identifier: str, until: datetime, now: datetime) -> ResponseReturnValue:
    """429: slowed (wait a few seconds) or locked (until a time)."""
    seconds = int((until - now).total_seconds()) + 1
    if seconds <= 120:
        wait = ngettext(
            "Too many wrong tries. Wait %(num)d second and try again.",
            "Too many wrong tries. Wait %(num)d seconds and try again.",
            seconds,
        )
        flash(wait, "err")
    else:
        until_text = format_ist(until, "%H:%M IST")
        locked = gettext("Too many wrong tries: login is locked until %(until)s.", until=until_text)
        flash(locked, "err")
    response = render_template("portal/login.html", identifier=identifier)
    return response, 429, {"Retry-After": str(seconds)}


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End this browser's session (server-side too: the old cookie is useless)."""
    row: PortalSession | None = g.get("portal_session")
    if row is not None:
        db = get_db()
        row.revoked_at = utcnow()
        audit(db, "logout", "staff", row.staff_id)
        db.commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("You are logged out."), "ok")
    return redirect(url_for("portal.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Choose a new password (forced after a password someone else set)."""
    staff: Staff = g.staff
    if request.method == "GET":
        return render_template("portal/password.html")
    current = request.form.get("current", "")[:200]
    new = request.form.get("new", "")[:200]
    db = get_db()
    ok, _ = verify_password(staff.password_hash, current)
    problem = None if ok else gettext("The current password is wrong.")
    problem = problem or _new_password_problem(new, request.form.get("again", "")[:200], current)
    if problem:
        audit(db, "password_change_refused", "staff", staff.id)
        db.commit()
        flash(problem, "err")
        return render_template("portal/password.html"), 400
    staff.password_hash = hash_password(new)
    staff.password_must_change = False
    now = utcnow()
    for other in db.scalars(
        select(PortalSession).where(
            PortalSession.staff_id == staff.id,
            PortalSession.revoked_at.is_(None),
            PortalSession.id != g.portal_session.id,
        )
    ):
        other.revoked_at = now  # a stolen old password's sessions end here
    audit(db, "password_changed", "staff", staff.id)
    db.commit()
    flash(gettext("Your password is changed."), "ok")
    return redirect(home_for(staff))


def _new_password_problem(new: str, again: str, current: str) -> str | None:
    if new != again:
        return gettext("The two new passwords are not the same.")
    if new == current:
        return gettext("Choose a password different from the one you were given.")
    if password_problem(new):
        return gettext("Use at least 10 characters, with letters as well as digits.")
    return None
