"""Errors raised by the telephony gateway, classified for the caller's retry decision.

Permanent: Twilio refused the request itself (4xx such as 21211 invalid number, 21614 not a
mobile, 21610 unsubscribed, 20404 not found, 21220 call not in progress): retrying the same
request cannot succeed. Retryable: Twilio (or the path to it) failed this time (429, 5xx,
timeouts, refused connections): the same request may succeed later, but after a read
timeout or a connection lost mid-request Twilio may also have acted on it already.
"""

from __future__ import annotations


class GatewayError(Exception):
    """A telephony request failed.

    Attributes:
        code: Twilio's error code (e.g. 21211), or None when Twilio did not answer.
        status: the HTTP status, or None when there was no response (timeout, connection).
        message: what went wrong, without secrets.
        retryable: whether the same request may succeed later.
    """

    def __init__(self, code: int | None, status: int | None, message: str, retryable: bool) -> None:
        super().__init__(f"[{status} {code}] {message}" if status or code else message)
        self.code = code
        self.status = status
        self.message = message
        self.retryable = retryable


class PermanentGatewayError(GatewayError):
    """Twilio refused the request; retrying it unchanged cannot succeed."""

    def __init__(self, code: int | None, status: int | None, message: str) -> None:
        super().__init__(code, status, message, retryable=False)


class RetryableGatewayError(GatewayError):
    """The request failed this time (429, 5xx, timeout, connection); it may succeed later.

    ``outcome_unknown``: the request went out and no answer came back (a read timeout, a
    connection lost mid-request): Twilio may have acted on it. A caller that must act at
    most once (placing a call) must not send it again.
    """

    def __init__(
        self, code: int | None, status: int | None, message: str, *, outcome_unknown: bool = False
    ) -> None:
        super().__init__(code, status, message, retryable=True)
        self.outcome_unknown = outcome_unknown


class FictionalNumberRefused(PermanentGatewayError):
    """The registry marks the number fictional and the gateway talks to Twilio itself."""

    def __init__(self, number: str) -> None:
        super().__init__(
            None,
            None,
            f"refused to reach {mask_number(number)}: the registry marks it fictional "
            "and TWILIO_API_BASE_URL is Twilio's own API",
        )
        self.number = number


def mask_number(number: str | None) -> str:
    """A phone number fit for logs: ``+91******2345``."""
    if not number:
        return ""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
