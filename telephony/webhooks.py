"""Verification of Twilio's webhooks (X-Twilio-Signature), shared by every blueprint.

Twilio signs the full URL it requested plus the sorted POST parameters with the
account's auth token (https://www.twilio.com/docs/usage/security#validating-requests).
Behind a TLS-terminating proxy the URL Flask sees is not the one Twilio signed,
so with ``TRUST_PROXY`` the scheme and host come from X-Forwarded-Proto/Host.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Request, abort, request
from twilio.request_validator import RequestValidator

from sampark.runtime import current_runtime

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def signed_url(req: Request, trust_proxy: bool) -> str:
    """The URL Twilio requested, as it signed it."""
    # The raw query string: req.url decodes %3A, %2F..., which Twilio signed encoded.
    query = req.query_string.decode("latin-1")
    url = req.base_url + (f"?{query}" if query else "")
    if trust_proxy:
        proto = req.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        host = req.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
        scheme, rest = url.split("://", 1)
        path = rest.split("/", 1)[1] if "/" in rest else ""
        url = f"{proto or scheme}://{host or rest.split('/', 1)[0]}/{path}"
    return url


def is_valid_twilio_request(req: Request, auth_token: str, trust_proxy: bool) -> bool:
    """Whether ``req`` carries a valid X-Twilio-Signature for ``auth_token``."""
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    params: Any = req.form if req.method == "POST" else {}
    return bool(
        RequestValidator(auth_token).validate(signed_url(req, trust_proxy), params, signature)
    )


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

    return cast(F, wrapper)
