"""Passwords (argon2id), CSRF tokens, login-session tokens and the client's address.

Why not the Flask extensions (issue 15, item 9), kept on purpose:

- Sessions stay server-side rows (``PortalSession``); Flask's signed cookie carries only a
  random id (stored hashed), the CSRF token and the language. So a doctor who leaves or is
  deactivated is signed out at once, logout ends the session on the server, idle and absolute
  expiry are the server's decision, and each row keeps address and browser for the audit. A
  signed cookie alone cannot be revoked; Flask-Login would still need these rows, and
  Flask-Session would keep the same data in another store.
- CSRF stays here rather than Flask-WTF's ``CSRFProtect``: that guards every POST of the app
  (this app's other POSTs are Twilio's signed webhooks; it would have to exempt every other
  area's blueprint, or switch its default check off for the whole app), brings WTForms that
  the forms do not use, and its token expires after an hour by default (a prescription
  written during a long call would be refused) and repeats within a second. Here the check is
  the portal blueprint's own, bound to the server session, renewed at each login, and masked
  afresh in every page (compressed pages that echo input repeat no secret).
- Passwords use argon2-cffi, the reference binding, directly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Request, session

#: argon2id with the library's defaults (RFC 9106 low-memory profile).
_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
CSRF_FIELD = "csrf_token"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; safe to store)."""
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check ``password`` against ``stored_hash``.

    Always spends the time of one argon2 verification, even when there is no
    hash (unknown account, no password set), so timing tells nothing.

    Returns:
        ``(ok, new_hash)``: ``new_hash`` is set when the stored hash uses older
        parameters and should be replaced.
    """
    try:
        _HASHER.verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    new_hash = hash_password(password) if _HASHER.check_needs_rehash(stored_hash) else None
    return True, new_hash


def password_problem(password: str) -> str | None:
    """Why ``password`` is too weak to set, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    if password.isdigit():
        return "use letters as well as digits"
    return None


def new_token() -> str:
    """A random, URL-safe secret (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored for a session token (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token() -> str:
    """This browser session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = new_token()
        session["csrf"] = token
    return token


def masked_csrf_token() -> str:
    """The CSRF token as written into a form: XOR-masked with a fresh random pad, so the
    page's bytes differ at every response (no BREACH-style guessing through compression)."""
    raw = csrf_token().encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(
        pad + bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    ).decode()


def _unmask(given: str) -> bytes | None:
    try:
        data = base64.urlsafe_b64decode(given.encode())
    except (binascii.Error, ValueError):
        return None
    half = len(data) // 2
    if not half or len(data) % 2:
        return None
    return bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True))


def csrf_ok(req: Request) -> bool:
    """Whether a POST carries this session's CSRF token (masked, as the forms write it)."""
    expected = session.get("csrf")
    given = _unmask(req.form.get(CSRF_FIELD, ""))
    return (
        isinstance(expected, str)
        and bool(expected)
        and given is not None
        and hmac.compare_digest(expected.encode(), given)
    )


def client_ip(req: Request, trust_proxy: bool) -> str:
    """The client's address; behind a trusted proxy, the one that proxy saw."""
    if trust_proxy:
        forwarded = req.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1][:45]
    return (req.remote_addr or "unknown")[:45]
