"""Verification of Twilio's webhooks (X-Twilio-Signature), shared by every blueprint.

Twilio signs the full URL it requested plus the sorted POST parameters with the
account's auth token (https://www.twilio.com/docs/usage/security#validating-requests).
Behind a TLS-terminating proxy the URL Flask sees is not the one Twilio signed,
so with ``TRUST_PROXY`` the scheme and host come from X-Forwarded-Proto/Host.
The signature is checked over the form as Twilio sent it: the views read it cleaned of
control characters (``core.inputs``).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Request, abort, request
from twilio.request_validator import RequestValidator

from core.inputs import RAW_FORM_KEY
from core.runtime import current_runtime

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def signed_url(req: Request, trust_proxy: bool) -> str:
    """The URL Twilio requested, as it signed it."""
    # The path exactly as sent (gunicorn's RAW_URI, werkzeug's REQUEST_URI; some
    # servers put the query there too, some do not) and the raw query string: Twilio
    # signs the URL it requested, percent-encoding and all (req.url would decode it).
    environ = req.environ
    query = req.query_string.decode("latin-1")
    target = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
    url = f"{req.scheme}://{req.host}{target}" if target.startswith("/") else req.base_url
    if query:
        url += f"?{query}"
    if trust_proxy:
        proto = req.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        host = req.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
        scheme, rest = url.split("://", 1)
        path = rest.split("/", 1)[1] if "/" in rest else ""
        url = f"{proto or scheme}://{host or rest.split('/', 1)[0]}/{path}"
    return url


@functools.lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def is_valid_twilio_request(req: Request, auth_token: str, trust_proxy: bool) -> bool:
    """Whether ``req`` carries a valid X-Twilio-Signature for ``auth_token``.

    The URL as received is checked first (one HMAC: what Twilio signs in the usual
    case); only if that fails does twilio's ``RequestValidator.validate`` try its
    variants (with and without the port, a JSON body's ``bodySHA256``).
    """
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    form = req.environ.get(RAW_FORM_KEY, req.form) if req.method == "POST" else None
    params: Any = _FormValues(form) if form is not None else {}
    validator = _validator(auth_token)
    url = signed_url(req, trust_proxy)
    if "bodySHA256=" not in url:
        expected = validator.compute_signature(url, params)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return True
    return bool(validator.validate(url, params, signature))


class _FormValues:
    """A form as twilio's validator reads a multi-valued mapping (``getall``).

    Given werkzeug's MultiDict directly, the validator first tries ``getall``, which
    it lacks, and pays for an AttributeError on every parameter.
    """

    __slots__ = ("_form",)

    def __init__(self, form: Any) -> None:
        self._form = form

    def __iter__(self) -> Any:
        return iter(self._form)

    def __len__(self) -> int:
        return len(self._form)

    def getall(self, name: str) -> list[str]:
        return list(self._form.getlist(name))


def twilio_webhook(view: F) -> F:
    """Refuse (403) any request that Twilio did not sign."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = current_runtime().settings
        if not is_valid_twilio_request(request, settings.twilio_auth_token, settings.trust_proxy):
            log.warning(
                "refused a webhook with a missing or invalid X-Twilio-Signature",
                extra={"path": request.path, "remote": request.remote_addr},
            )
            abort(403)
        return view(*args, **kwargs)

    wrapper.twilio_webhook = True  # type: ignore[attr-defined]  # found by the tests
    return cast(F, wrapper)
