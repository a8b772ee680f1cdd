"""Twilio's error codes for invalid REST requests, and the rules its OpenAPI file leaves to prose.

Codes and messages follow Twilio's error pages (twilio.com/docs/errors/NNNNN) and the bodies
Twilio returns, e.g. 21205 "Url parameter is required." / "Url is not a valid URL: ...",
21201 "No 'To' number is specified", 21211 invalid 'To', 21402 a phone number's VoiceUrl,
21602 "Message body is required.", 21603 "A 'From' phone number is required.",
21604 "A 'To' phone number is required.", 21609 invalid StatusCallback on a message,
20001 any other invalid parameter, 20404 an unknown resource (also a malformed SID in the path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from standin.errors import TwilioApiError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: the parameter, what is wrong, the value given."""

    field: str
    kind: str  # missing | format | enum | type | pattern | minLength | ... | either-or
    value: Any


_CALL_CREATES = ("CreateCall", "CreateParticipant")
_FIELD_ORDER = ("To", "From", "Url", "Twiml", "ApplicationSid", "Body", "MediaUrl", "ContentSid")
_E164_OR_CHANNEL = re.compile(r"^(?:[a-z]+:)?\+[1-9]\d{6,14}$")


def not_found(url_path: str) -> TwilioApiError:
    """Twilio's 404 for an unknown resource."""
    return TwilioApiError(404, 20404, f"The requested resource {url_path} was not found")


def check_either_or(operation_id: str, params: Mapping[str, Any]) -> list[Problem]:
    """The rules Twilio documents only in prose (Calls and Messages resources)."""
    problems: list[Problem] = []
    present = {k for k, v in params.items() if v not in (None, "", [])}
    if operation_id == "CreateCall" and not present & {"Url", "Twiml", "ApplicationSid"}:
        problems.append(Problem("Url", "either-or", None))
    if operation_id == "CreateMessage":
        if "To" in present and not _E164_OR_CHANNEL.match(str(params["To"])):
            problems.append(Problem("To", "format", params["To"]))
        if not present & {"From", "MessagingServiceSid"}:
            problems.append(Problem("From", "either-or", None))
        if not present & {"Body", "MediaUrl", "ContentSid"}:
            problems.append(Problem("Body", "either-or", None))
    return problems


def _rank(problem: Problem) -> tuple[int, int]:
    kind_rank = {"missing": 0, "either-or": 2}.get(problem.kind, 1)
    field_rank = _FIELD_ORDER.index(problem.field) if problem.field in _FIELD_ORDER else 99
    return (0 if problem.field in ("To", "From") else 1, kind_rank * 100 + field_rank)


def error_for(operation_id: str, problems: Iterable[Problem]) -> TwilioApiError:
    """Twilio's 400 error for the problem Twilio would report first."""
    problem = min(problems, key=_rank)
    code, message = _code_and_message(operation_id, problem)
    return TwilioApiError(400, code, message)


def _code_and_message(op: str, p: Problem) -> tuple[int, str]:
    field, value = p.field, p.value
    if value is None:
        shown = ""
    else:
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    messaging = op == "CreateMessage"
    if p.kind == "missing":
        if field == "To":
            return (
                (21604, "A 'To' phone number is required.")
                if messaging
                else (21201, "No 'To' number is specified")
            )
        if field == "From" and op in _CALL_CREATES:
            return 21213, "No 'From' number is specified"
        return 20001, f"Missing required parameter {field} in the post body"
    if p.kind == "either-or":
        if field == "Url":
            return 21205, (
                "Url parameter is required. For more information, "
                "see http://www.twilio.com/docs/api/twiml"
            )
        if field == "From":
            return 21603, "A 'From' phone number is required."
        return 21602, "Message body is required."
    if field == "To":
        if messaging:
            return 21211, f"The 'To' number {shown} is not a valid phone number."
        return 21211, f"Invalid 'To' Phone Number: {shown}"
    if field == "From":
        if messaging:
            return 21212, (
                f"The 'From' number {shown} is not a valid phone number, shortcode, "
                "or alphanumeric sender ID."
            )
        return 21212, f"Invalid 'From' Phone Number: {shown}"
    if p.kind == "format" and (field.endswith("Url") or field.endswith("Callback")):
        if "IncomingPhoneNumber" in op:
            return 21402, f"{field} is not a valid URL: {shown}"
        if messaging and field == "StatusCallback":
            return 21609, f"The StatusCallback URL {shown} is not a valid URL."
        return 21205, f"{field} is not a valid URL: {shown}"
    if p.kind == "enum":
        return 20001, f"Invalid value '{shown}' for {field}"
    return 20001, f"Invalid parameter {field}: '{shown}'"
