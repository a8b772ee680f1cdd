"""Doctors log in (mobile number or staff code + password) and out."""

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
from models import PortalSession, Staff, StaffRole
from portal import throttle
from portal.blueprint import (
    ABSOLUTE_TIMEOUT,
    audit,
    bp,
    get_db,
    request_ip,
    safe_next,
)
from portal.security import new_token, token_hash, verify_password

log = logging.getLogger(__name__)


def find_doctor(db: Session, identifier: str) -> Staff | None:
    """The active doctor whose staff code or mobile number is ``identifier``."""
    identifier = identifier.strip()
    if not identifier:
        return None
    conditions = [func.upper(Staff.code) == identifier.upper()]
    with contextlib.suppress(InvalidPhoneNumber):
        conditions.append(Staff.mobile == normalize(identifier))
    return db.scalars(
        select(Staff).where(
            or_(*conditions), Staff.role == StaffRole.DOCTOR, Staff.active.is_(True)
        )
    ).first()


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form; on POST, check the password under the failed-login limits."""
    if g.staff is not None:
        return redirect(safe_next(request.args.get("next")))
    if request.method == "GET":
        if request.args.get("expired"):
            flash(gettext("Your session ended. Please log in again."), "err")
        return render_template("portal/login.html", identifier="")

    identifier = request.form.get("identifier", "")[:80]
    password = request.form.get("password", "")[:200]
    db = get_db()
    now = utcnow()
    doctor = find_doctor(db, identifier)
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
    return redirect(safe_next(request.args.get("next")))


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
