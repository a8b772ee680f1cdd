"""Small helpers shared by the stand-in: SIDs, Twilio's date format, numbers, form values."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

import phonenumbers

from sms_templates.encoding import count_segments

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


class SidFactory:
    """Twilio-shaped SIDs (two-letter prefix + 32 hex digits), reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"sids-{seed}")
        self._lock = threading.Lock()

    def __call__(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{self._rng.getrandbits(128):032x}"


def rfc2822(dt: datetime | None) -> str | None:
    """Twilio's resource timestamp format, e.g. ``Wed, 25 Nov 2026 22:45:46 +0000``."""
    if dt is None:
        return None
    return format_datetime(dt.replace(microsecond=0))


@lru_cache(maxsize=4096)
def is_e164(number: str) -> bool:
    """Whether ``number`` is a dialable E.164 number (Twilio answers 21211 otherwise)."""
    if not E164.match(number or ""):
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


@lru_cache(maxsize=4096)
def is_landline(number: str) -> bool:
    """Whether ``number`` is a fixed line (SMS to it fails: 21614 at the API, 30006 on delivery)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE


@lru_cache(maxsize=4096)
def country_of(number: str) -> str:
    """ISO country of an E.164 number ('' when unknown), for the *Country webhook params."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return ""
    return region or ""


def truthy(value: Any, default: bool = False) -> bool:
    """Read a Twilio boolean form/TwiML value ('true'/'false', any case)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def as_list(value: Any) -> list[str]:
    """A list parameter (repeated form keys, or space/comma separated like TwiML attributes)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    out: list[str] = []
    for item in value:
        out.extend(as_list(item))
    return out


def first(params: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A scalar form value (the first one when a key was repeated)."""
    value = params.get(key, default)
    if isinstance(value, list | tuple):
        return value[0] if value else default
    return value


def words_seconds(text: str) -> float:
    """How long Twilio takes to <Say> ``text`` (about 2.5 words a second)."""
    return max(0.5, len(text.split()) / 2.5)


def gsm_segments(body: str) -> tuple[str, int]:
    """Encoding and SMS part count of ``body`` exactly as Twilio counts them.

    One implementation for the product and the stand-in: ``sms_templates.encoding``
    (GSM-7 160/153 with extension characters counting two; UCS-2 70/67 in UTF-16
    units, never splitting a character). A body-less (media) message is one part.
    """
    count = count_segments(body)
    return count.encoding, max(1, count.segments)


def compact(params: Mapping[str, Any]) -> dict[str, str]:
    """Drop None values and stringify the rest (webhook form params)."""
    return {k: str(v) for k, v in params.items() if v is not None}


def without(items: Iterable[str], *drop: str) -> list[str]:
    """``items`` minus ``drop``."""
    return [i for i in items if i not in drop]
