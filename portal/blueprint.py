"""The portal blueprint and what runs around every portal request.

Each request gets: its language (gettext catalogues through Flask-Babel, installed on the app
when the blueprint is registered), a database session (closed at the end), a CSRF
check on every POST (400 on mismatch), the signed-in doctor loaded from a
server-side session row (idle and absolute expiry), and protective headers
(no caching of patient data, a strict Content-Security-Policy). Why sessions and CSRF are
the portal's own code and not Flask extensions: see ``portal.security``.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
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

from core.runtime import current_runtime
from core.timeutil import format_ist, utcnow
from models import AuditEvent, PortalSession, Staff, StaffRole
from portal import i18n, labels
from portal.i18n import LANGUAGES, RTL_LANGUAGES, SEXES, URGENCIES, label, pick_language
from portal.security import CSRF_FIELD, client_ip, csrf_ok, masked_csrf_token, token_hash

log = logging.getLogger(__name__)
bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")
bp.record_once(lambda state: i18n.init_app(state.app))
F = TypeVar("F", bound=Callable[..., Any])

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
_TOUCH_EVERY = timedelta(seconds=60)

#: The whole style sheet, inlined (one round trip less on a slow link) and pinned by hash.
CSS = (
    "body{font:16px/1.4 sans-serif;margin:0 auto;max-width:46em;padding:.5em;color:#111}"
    "header{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;"
    "border-bottom:2px solid #065;padding-bottom:.3em}"
    "header b{flex:1}a{color:#04c}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.2em}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.25em;"
    "text-align:start;vertical-align:top}label{display:block;margin-top:.5em}"
    "input,select,textarea,button{font:inherit;max-width:100%}"
    "input[type=text],input[type=password],textarea,select{width:100%;box-sizing:border-box}"
    "button{padding:.4em .9em;margin-top:.6em}"
    ".err{background:#fee;border:1px solid #c00;padding:.4em}"
    ".ok{background:#efe;border:1px solid #080;padding:.4em}"
    ".emg{background:#c00;color:#fff;padding:.3em;font-weight:bold}"
    "fieldset{margin:.6em 0;border:1px solid #999}.inline{display:inline}"
    ".muted{color:#555;font-size:.9em}main{overflow-wrap:anywhere}audio{width:100%}"
    "figure{margin:.5em 0}:lang(ur){font-family:'Noto Nastaliq Urdu','Jameel Noori Nastaleeq',"
    "'Urdu Typesetting',serif;line-height:2}"
    "@media (max-width:40em){table,tbody,tr,th,td{display:block}"
    ".kv tr{border:1px solid #bbb;border-bottom:0}.kv tr:last-child{border-bottom:1px solid #bbb}"
    ".kv th,.kv td{border:0}.kv td{padding-top:0}"
    ".grid tr.head{display:none}.grid tr{border:1px solid #bbb;margin-bottom:.4em}"
    '.grid td{border:0}.grid td[data-label]:before{content:attr(data-label) ": ";'
    "font-weight:bold}}"
)
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
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
def _before() -> None:
    g.lang = pick_language(request)
    if request.method == "POST" and not csrf_ok(request):
        log.warning("portal: POST without a valid CSRF token", extra={"path": request.path})
        abort(400)
    _load_signed_in_staff()


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
        and row.staff.role == StaffRole.DOCTOR
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


def login_required(view: F) -> F:
    """Send a visitor who is not signed in to the login page (then back here)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("staff") is None:
            args_out: dict[str, Any] = {"next": request.full_path.rstrip("?")}
            if g.get("session_expired"):
                args_out["expired"] = "1"
            return redirect(url_for("portal.login", **args_out))
        return view(*args, **kwargs)

    return cast(F, wrapper)


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
def _forbidden(_e: Exception) -> ResponseReturnValue:
    return _error_page(403, gettext("This consultation is not assigned to you."))


@bp.errorhandler(404)
def _not_found(_e: Exception) -> ResponseReturnValue:
    return _error_page(404, gettext("Not found."))


@bp.errorhandler(500)
def _server_error(_e: Exception) -> ResponseReturnValue:
    return _error_page(500, gettext("Something went wrong. Please try again."))


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("portal.consultations"))


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Switch the portal's language, then go back where the doctor was."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


def safe_next(target: str | None) -> str:
    """``target`` if it is a path inside the portal, else the consultation list."""
    if (
        target
        and target.startswith("/portal/")
        and not any(bad in target for bad in ("\\", "\n", "\r", "//"))
    ):
        return target
    return url_for("portal.consultations")
