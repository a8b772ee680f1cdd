"""The gateway's HTTP side: twilio-python's client with its timeouts, and error classification.

Permanent (4xx) or retryable (429, 408, 5xx, timeouts, connection errors); a retryable error
says whether the request may have been acted on (it went out and no answer came back).
"""

from __future__ import annotations

import json
import logging

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient

from telephony.errors import GatewayError, PermanentGatewayError, RetryableGatewayError

#: twilio-python's own request log names every parameter (numbers, SMS bodies): keep it quiet.
_HTTP_LOG = logging.getLogger("telephony.gateway.http")
_HTTP_LOG.setLevel(logging.WARNING)


class TimedHttpClient(TwilioHttpClient):
    """twilio-python's HTTP client with separate connect and read timeouts.

    One ``requests.Session`` (a keep-alive connection pool) serves every request. The
    proxy and CA-bundle variables of the environment are read once, for the API's host,
    instead of on every request (requests walks ``os.environ`` twice per request).
    """

    def __init__(self, connect_timeout: float, read_timeout: float, base_url: str) -> None:
        super().__init__(timeout=read_timeout, logger=_HTTP_LOG)
        # requests takes (connect, read); TwilioHttpClient passes self.timeout through as is.
        self.timeout = (connect_timeout, read_timeout)
        session = self.session
        assert session is not None  # pool_connections=True
        env = session.merge_environment_settings(base_url, {}, None, None, None)
        session.proxies.update(env.get("proxies") or {})
        session.verify = env.get("verify", True)
        session.trust_env = False


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
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        err = stack.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, (NewConnectionError, ConnectTimeoutError, requests.ConnectTimeout)):
            return True
        stack += [getattr(err, "reason", None), err.__cause__, err.__context__]
        stack += [a for a in err.args if isinstance(a, BaseException)]
    return False
