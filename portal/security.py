"""Passwords (argon2id), CSRF tokens, login-session tokens and the client's address."""

from __future__ import annotations

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


def csrf_ok(req: Request) -> bool:
    """Whether a POST carries this session's CSRF token."""
    expected = session.get("csrf")
    given = req.form.get(CSRF_FIELD, "")
    return (
        isinstance(expected, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), given.encode())
    )


def client_ip(req: Request, trust_proxy: bool) -> str:
    """The client's address; behind a trusted proxy, the one that proxy saw."""
    if trust_proxy:
        forwarded = req.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1][:45]
    return (req.remote_addr or "unknown")[:45]
