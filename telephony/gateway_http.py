"""The gateway's HTTP side: twilio-python's client over urllib3, and error classification.

Permanent (4xx) or retryable (429, 408, 5xx, timeouts, connection errors); a retryable error
says whether the request may have been acted on (it went out and no answer came back).

Why not twilio-python's own ``TwilioHttpClient`` (requests): measured in one job's profile,
a ``CreateCall`` took 2.4-3.1 ms through it and 1.6 ms through this client (requests walked
``os.environ`` for proxies twice per request; bench/HISTORY.md, second pass, 2026-11-26).
The client is still twilio-python's: only its transport is swapped (``HttpClient``).
"""

from __future__ import annotations

import json
import logging
import os
from base64 import b64encode
from typing import Any
from urllib.parse import urlencode

import urllib3
from requests.utils import (
    get_auth_from_url,
    get_environ_proxies,
    prepend_scheme_if_needed,
    select_proxy,
)
from twilio.base.exceptions import TwilioException
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as TransportTimeout

from telephony.errors import GatewayError, PermanentGatewayError, RetryableGatewayError

#: twilio-python's own request log names every parameter (numbers, SMS bodies): keep it quiet.
_HTTP_LOG = logging.getLogger("telephony.gateway.http")
_HTTP_LOG.setLevel(logging.WARNING)
_JSON_TYPES = ("application/json", "application/scim+json")
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")  # else certifi's
#: What urllib3 raises (with ``retries=False``, unwrapped) when a request gets no answer.
TRANSPORT_ERRORS = (TransportTimeout, ProtocolError, SSLError, ProxyError, MaxRetryError)


class TimedHttpClient(HttpClient):
    """twilio-python's HTTP client on urllib3, with separate connect and read timeouts.

    Does what ``TwilioHttpClient.request`` does (query string, form or JSON body, basic
    auth, no redirects, twilio's ``Response``) without requests' per-request work. One
    thread-safe ``urllib3.PoolManager`` (keep-alive, never retries) serves every request.
    The proxy and CA-bundle variables of the environment are read once, for the API's host.
    """

    def __init__(self, connect_timeout: float, read_timeout: float, base_url: str) -> None:
        super().__init__(_HTTP_LOG, False, read_timeout)
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.pool = _pool_for(base_url)

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,  # never followed (twilio-python always passes False)
    ) -> Response:
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        method, headers = method.upper(), dict(headers or {})
        if self.logger.isEnabledFor(logging.INFO):
            self.log_request({"method": method, "url": uri, "params": params, "headers": headers})
        if params:
            uri += ("&" if "?" in uri else "?") + urlencode(params, doseq=True)
        body = None
        if headers.get("Content-Type") in _JSON_TYPES:
            body = None if data is None else json.dumps(data, allow_nan=False).encode()
        elif data:
            body = urlencode(data, doseq=True).encode()  # a list value: the key repeated
        if auth:
            token = b64encode(f"{auth[0]}:{auth[1]}".encode("latin-1")).decode()
            headers["Authorization"] = f"Basic {token}"
        self._test_only_last_response = None
        answer = self.pool.request(
            method,
            uri,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout, read=timeout) if timeout else self._timeout,
            redirect=False,
        )
        if self.logger.isEnabledFor(logging.INFO):
            self.log_response(answer.status, answer)
        content_type = answer.headers.get("Content-Type", "")
        charset = content_type.partition("charset=")[2].split(";")[0].strip(" \"'")
        text = answer.data.decode(charset or "utf-8", errors="replace")
        self._test_only_last_response = Response(answer.status, text, answer.headers)
        return self._test_only_last_response

    def drop_connections(self) -> None:
        """Close every pooled connection (after ``fork``); later requests open new ones."""
        self.pool.clear()


def _pool_for(base_url: str) -> urllib3.PoolManager:
    """The pool for ``base_url``: through the environment's proxy for it, if one applies."""
    settings: dict[str, Any] = {"num_pools": 4, "maxsize": 8, "retries": False}
    bundle = (
        next((os.environ[name] for name in _CA_VARIABLES if os.environ.get(name)), None)
        or _certifi()
    )
    if bundle:
        settings["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
    proxy = select_proxy(base_url, get_environ_proxies(base_url))
    if not proxy:
        return urllib3.PoolManager(**settings)
    proxy = prepend_scheme_if_needed(proxy, "http")
    if proxy.lower().startswith("socks"):
        from urllib3.contrib.socks import SOCKSProxyManager

        return SOCKSProxyManager(proxy, **settings)
    user, password = get_auth_from_url(proxy)
    if user:
        settings["proxy_headers"] = urllib3.make_headers(proxy_basic_auth=f"{user}:{password}")
    return urllib3.ProxyManager(proxy, **settings)


def _certifi() -> str | None:
    try:
        import certifi
    except ImportError:  # the system's default CAs
        return None
    return str(certifi.where())


def classify(status: int | None, code: int | None, message: str) -> GatewayError:
    """The gateway error for an HTTP failure: 429, 408 and 5xx are retryable, other 4xx not."""
    if status is None or status == 429 or status == 408 or status >= 500:
        return RetryableGatewayError(code, status, message)
    return PermanentGatewayError(code, status, message)


def page_failure(exc: TwilioException) -> tuple[int | None, int | None, str]:
    """Status, Twilio code and message of a failed list page (``TwilioException(msg, resp)``)."""
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    code, message = None, str(exc.args[0]) if exc.args else type(exc).__name__
    try:
        body = json.loads(getattr(response, "text", "") or "{}")
        code, message = body.get("code"), f"{message}: {body.get('message', '')}"
    except (ValueError, AttributeError):
        pass
    return status, code, message


def never_sent(exc: BaseException) -> bool:
    """Whether a connection error happened before the request left (no connection made)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        err = stack.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, (NewConnectionError, ConnectTimeoutError)):
            return True
        stack += [getattr(err, "reason", None), err.__cause__, err.__context__]
        stack += [a for a in err.args if isinstance(a, BaseException)]
    return False


def transport_error(exc: BaseException) -> RetryableGatewayError:
    """The retryable error for one of :data:`TRANSPORT_ERRORS` (no HTTP answer came back).

    Refused or timed-out connections were never sent; a read timeout or a connection lost
    mid-request (reset, closed, incomplete answer) may have been acted on.
    """
    unsent = never_sent(exc)
    message = "could not connect to the API" if unsent else "no answer from the API"
    if isinstance(exc, TransportTimeout) and not isinstance(exc, NewConnectionError):
        message = f"timed out: {type(exc).__name__}"
    return RetryableGatewayError(None, None, message, outcome_unknown=not unsent)
