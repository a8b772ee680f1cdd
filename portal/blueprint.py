"""The portal blueprint and what runs around every portal request.

Each request gets: its language (gettext catalogues through Flask-Babel, installed on the app
when the blueprint is registered), a database session (closed at the end), a CSRF
check on every POST (400 on mismatch), the signed-in doctor loaded from a
server-side session row (idle and absolute expiry), and protective headers
(no caching of patient data, a strict Content-Security-Policy). Why sessions and CSRF are
the portal's own code and not Flask extensions: see ``portal.security``.
"""

from __future__ import annotations

import functools
import gzip
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from core.runtime import current_runtime
from core.timeutil import format_ist, utcnow
from models import AuditEvent, PortalSession, Staff, StaffRole
from portal import i18n, labels
from portal.i18n import LANGUAGES, RTL_LANGUAGES, SEXES, URGENCIES, label, pick_language
from portal.nav import nav_links
from portal.security import CSRF_FIELD, client_ip, csrf_ok, masked_csrf_token, token_hash
from portal.style import stylesheet

log = logging.getLogger(__name__)
bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")
bp.record_once(lambda state: i18n.init_app(state.app))
F = TypeVar("F", bound=Callable[..., Any])

#: Who may sign in, and the page each role starts at (other roles cannot sign in).
HOME_BY_ROLE: dict[StaffRole, str] = {
    StaffRole.DOCTOR: "portal.consultations",
    StaffRole.ANM: "portal.anm_home",
    StaffRole.DISTRICT_ADMIN: "portal.district_home",
}
#: What a person whose password must change may still open.
_OPEN_BEFORE_PASSWORD_CHANGE = frozenset(
    {"portal.change_password", "portal.logout", "portal.set_language", "portal.login"}
)

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
_TOUCH_EVERY = timedelta(seconds=60)

CSS, _CSS_HASH = stylesheet()
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_CSS_HASH}'; "
    "img-src 'self'; media-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def get_db() -> Session:
    """This request's database session (closed when the request ends)."""
    if "portal_db" not in g:
        g.portal_db = current_runtime().db.sessions()
    db: Session = g.portal_db
    return db


@bp.teardown_request
def _close_db(_exc: BaseException | None) -> None:
    db = g.pop("portal_db", None)
    if db is not None:
        db.close()


def request_ip() -> str:
    return client_ip(request, current_runtime().settings.trust_proxy)


def audit(
    db: Session, action: str, subject_type: str, subject_id: int | None, **detail: Any
) -> None:
    """Add one audit row for the signed-in doctor (committed with the caller's work)."""
    staff: Staff | None = g.get("staff")
    db.add(
        AuditEvent(
            actor_staff_id=staff.id if staff else None,
            actor=staff.code if staff else f"ip:{request_ip()}",
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            request_id=g.get("request_id"),
            detail={"ip": request_ip(), **detail},
        )
    )


@bp.before_request
def _before() -> ResponseReturnValue | None:
    g.lang = pick_language(request)
    if request.method == "POST" and not csrf_ok(request):
        log.warning("portal: POST without a valid CSRF token", extra={"path": request.path})
        abort(400)
    _load_signed_in_staff()
    staff: Staff | None = g.staff
    if (
        staff is not None
        and staff.password_must_change
        and request.endpoint not in _OPEN_BEFORE_PASSWORD_CHANGE
    ):
        return redirect(url_for("portal.change_password"))
    return None


def _load_signed_in_staff() -> None:
    g.staff = None
    g.portal_session = None
    token = session.get("sid")
    if not isinstance(token, str):
        return
    db = get_db()
    row = db.scalars(
        select(PortalSession).where(PortalSession.token_hash == token_hash(token))
    ).one_or_none()
    now = utcnow()
    valid = (
        row is not None
        and row.revoked_at is None
        and row.expires_at > now
        and now - row.last_seen_at < IDLE_TIMEOUT
        and row.staff.active
        and row.staff.role in HOME_BY_ROLE
    )
    if not valid:
        if row is not None and row.revoked_at is None:
            row.revoked_at = now
            db.commit()
        session.pop("sid", None)
        g.session_expired = True
        return
    assert row is not None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        db.commit()
    g.staff = row.staff
    g.portal_session = row


def _to_login() -> ResponseReturnValue:
    args_out: dict[str, Any] = {"next": request.full_path.rstrip("?")}
    if g.get("session_expired"):
        args_out["expired"] = "1"
    return redirect(url_for("portal.login", **args_out))


def login_required(view: F) -> F:
    """Send a visitor who is not signed in to the login page (then back here)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("staff") is None:
            return _to_login()
        return view(*args, **kwargs)

    return cast(F, wrapper)


class NotForYourRole(Forbidden):
    """403: the signed-in person's role does not open this page."""


def roles_required(*roles: StaffRole) -> Callable[[F], F]:
    """Open the view to signed-in staff of ``roles`` only (others: 403; visitors: login)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff: Staff | None = g.get("staff")
            if staff is None:
                return _to_login()
            if staff.role not in roles:
                raise NotForYourRole()
            return view(*args, **kwargs)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]  # read by the route matrix test
        return cast(F, wrapper)

    return decorate


def home_for(staff: Staff) -> str:
    """The page ``staff`` starts at after logging in."""
    return url_for(HOME_BY_ROLE[staff.role])


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"  # shared phones: keep no patient data
    response.headers["Vary"] = "Cookie, Accept-Encoding"
    return _compress(response)


def _compress(response: Response) -> Response:
    """Gzip HTML for slow links (the repeated medicine lists shrink about tenfold)."""
    if (
        response.mimetype != "text/html"
        or response.direct_passthrough
        or "Content-Encoding" in response.headers
        or "gzip" not in request.accept_encodings
    ):
        return response
    body = response.get_data()
    if len(body) < 1400:  # fits one packet anyway
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    return response


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "lang": g.get("lang", "en"),
        "languages": LANGUAGES,
        "rtl_languages": RTL_LANGUAGES,
        "csrf_field": CSRF_FIELD,
        "csrf_token": masked_csrf_token,
        "staff": g.get("staff"),
        "nav_links": nav_links,
        "css": CSS,
        "ist": format_ist,
        "when": labels.when,
        "state_label": labels.state_label,
        "question_label": labels.question_label,
        "answer_label": labels.answer_label,
        "danger_signs_label": labels.danger_signs_label,
        "language_name": labels.language_name,
        "sms_label": labels.sms_label,
        "sms_to_label": lambda key: label(labels.SMS_PURPOSES, key),
        "sms_status_label": lambda key: label(labels.SMS_STATUSES, key),
        "sex_label": lambda key: label(SEXES, key),
        "urgency_label": lambda key: label(URGENCIES, key),
    }


def _error_page(status: int, message: str) -> ResponseReturnValue:
    return render_template("portal/error.html", message=message), status


@bp.errorhandler(400)
def _bad_request(_e: Exception) -> ResponseReturnValue:
    return _error_page(400, gettext("The form expired. Please try again."))


@bp.errorhandler(403)
def _forbidden(e: Exception) -> ResponseReturnValue:
    if isinstance(e, NotForYourRole):
        return _error_page(403, gettext("This page is not open to your role."))
    return _error_page(403, gettext("This consultation is not assigned to you."))


@bp.errorhandler(404)
def _not_found(_e: Exception) -> ResponseReturnValue:
    return _error_page(404, gettext("Not found."))


@bp.errorhandler(500)
def _server_error(_e: Exception) -> ResponseReturnValue:
    return _error_page(500, gettext("Something went wrong. Please try again."))


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """Each role's own start page."""
    return redirect(home_for(g.staff))


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Switch the portal's language, then go back where the doctor was."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


def safe_next(target: str | None, default: str | None = None) -> str:
    """``target`` if it is a path inside the portal, else ``default`` (the portal's home)."""
    if (
        target
        and target.startswith("/portal/")
        and not any(bad in target for bad in ("\\", "\n", "\r", "//"))
    ):
        return target
    return default or url_for("portal.home")
