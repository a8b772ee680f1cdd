"""Errors raised by the Twilio stand-in engine, rendered by the REST layer as Twilio error JSON."""

from __future__ import annotations


class TwilioApiError(Exception):
    """A REST error as Twilio reports it: HTTP status, Twilio error code and message.

    The REST layer renders it as ``{"code", "message", "more_info", "status"}``.
    """

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @property
    def more_info(self) -> str:
        """Twilio's documentation link for the error code."""
        return f"https://www.twilio.com/docs/errors/{self.code}"

    def to_json(self) -> dict[str, object]:
        """Twilio's error body."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info,
            "status": self.status,
        }


def not_found(resource: str, sid: str) -> TwilioApiError:
    """Twilio's 404 (code 20404) for an unknown resource."""
    return TwilioApiError(
        404, 20404, f"The requested resource /2010-04-01/{resource}/{sid}.json was not found"
    )
