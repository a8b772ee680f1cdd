"""Twilio's OpenAPI description of API 2010-04-01, as the stand-in reads it.

The description is ``twilio_api_v2010.json`` from Twilio's public ``twilio-oai`` repository
(release 2.6.7, MIT licence, vendored beside this module; ``SAMPARK_TWILIO_OPENAPI`` points
elsewhere). :func:`load_spec` keeps only the operations the stand-in serves
(:data:`SERVED_PATHS`) and adds the value lists Twilio documents only in prose
(:data:`DESCRIPTION_ENUMS`); :data:`FORMAT_FUNCTIONS` check the formats the file only names
(``uri``, ``phone-number``, ``endpoint``). Both validators (``openapi.py`` and
``openapi_core_check.py``) read the description from here.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

SPEC_ENV = "SAMPARK_TWILIO_OPENAPI"
VENDORED_SPEC = Path(__file__).with_name("twilio_api_v2010.json")
ACCOUNT_PATH = "/2010-04-01/Accounts/{AccountSid}"

#: The resources the stand-in serves: path suffix -> resource name used in fault keys.
SERVED_PATHS: dict[str, str] = {
    "/Calls.json": "calls",
    "/Calls/{Sid}.json": "calls",
    "/Conferences.json": "conferences",
    "/Conferences/{Sid}.json": "conferences",
    "/Conferences/{ConferenceSid}/Participants.json": "participants",
    "/Conferences/{ConferenceSid}/Participants/{CallSid}.json": "participants",
    "/Messages.json": "messages",
    "/Messages/{Sid}.json": "messages",
    "/Recordings.json": "recordings",
    "/Recordings/{Sid}.json": "recordings",
    "/IncomingPhoneNumbers.json": "incoming_phone_numbers",
    "/IncomingPhoneNumbers/{Sid}.json": "incoming_phone_numbers",
}

#: Value lists Twilio documents only in the parameter descriptions (twilio-oai 2.6.7 has
#: free strings there). Sources: docs for Calls, Conference Participants and <Conference>.
DESCRIPTION_ENUMS: dict[str, tuple[str, ...]] = {
    "StatusCallbackEvent": ("initiated", "ringing", "answered", "completed"),
    "ConferenceStatusCallbackEvent": (
        "start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement",
    ),
    "Beep": ("true", "false", "onEnter", "onExit"),
    "RecordingStatusCallbackEvent": ("in-progress", "completed", "absent"),
    "ConferenceRecordingStatusCallbackEvent": ("in-progress", "completed", "absent"),
}  # fmt: skip

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CHANNEL = re.compile(r"^[a-z]+:\+[1-9]\d{6,14}$")  # e.g. whatsapp:+91...
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")  # alphanumeric sender (India DLT)
_SHORT_CODE = re.compile(r"^\d{3,8}$")


def is_http_url(value: object) -> bool:
    """An absolute http(s) URL with a host, as Twilio requires of every URL parameter."""
    if not isinstance(value, str):
        return True
    if any(ch.isspace() for ch in value):
        return False
    scheme, _, rest = value.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return scheme.lower() in ("http", "https") and bool(host) and not host.startswith(":")


def is_phone_number(value: object) -> bool:
    """Messaging addresses: E.164, channel-prefixed E.164, short code or sender ID."""
    if not isinstance(value, str):
        return True
    return bool(
        _E164.match(value)
        or _CHANNEL.match(value)
        or _SHORT_CODE.match(value)
        or _SENDER_ID.match(value)
    )


def is_endpoint(value: object) -> bool:
    """Voice endpoints: an E.164 number, or a ``client:`` / ``sip:`` address."""
    if not isinstance(value, str):
        return True
    return bool(_E164.match(value)) or value.startswith(("client:", "sip:"))


FORMAT_FUNCTIONS = {"uri": is_http_url, "phone-number": is_phone_number, "endpoint": is_endpoint}


def spec_path() -> Path:
    """The description in use: ``$SAMPARK_TWILIO_OPENAPI`` or the vendored copy."""
    return Path(os.environ.get(SPEC_ENV) or VENDORED_SPEC)


@functools.lru_cache(maxsize=4)
def load_spec(path: str | None = None) -> dict[str, Any]:
    """The description as a dict, restricted to the served paths, with the prose enums added.

    Cached per path: every validator in the process shares one copy (do not mutate it).
    """
    with open(path or spec_path(), encoding="utf-8") as fh:
        spec = json.load(fh)
    paths = {ACCOUNT_PATH + s: spec["paths"][ACCOUNT_PATH + s] for s in SERVED_PATHS}
    spec["paths"] = paths
    for item in paths.values():
        for method in ("get", "post", "delete"):
            body = item.get(method, {}).get("requestBody", {}).get("content", {})
            form = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
            for name, prop in form.get("properties", {}).items():
                values = DESCRIPTION_ENUMS.get(name)
                if values is None:
                    continue
                target = prop["items"] if prop.get("type") == "array" else prop
                target["enum"] = list(values)
    return spec
