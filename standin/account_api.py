"""The account's own resources: ``GET /2010-04-01/Accounts/{Sid}.json`` (FetchAccount) and
voice dialing geographic permissions (voice.twilio.com's ``/v1/DialingPermissions/...``).

FetchAccount takes no parameters (the 2010-04-01 description names none: nothing to
validate); its path uses ``{Sid}``, not ``{AccountSid}``, so it is routed here. The
dialing-permissions paths belong to Twilio's Voice v1 API, whose
description (``twilio_voice_v1.json`` in twilio-oai) the stand-in does not carry: they are
served as that file describes them (``FetchDialingPermissionsCountry``: the path's
``IsoCode``; the ``voice.v1.dialing_permissions.dialing_permissions_country-instance``
fields), an unknown country being 404 / 20404 as for any unknown resource.

Every country's low-risk numbers are enabled unless a test turns them off
(``StandIn.dialing.set("IN", low_risk_numbers_enabled=False)`` or
``PUT /_standin/dialing-permissions/IN``); calls are not refused for it (see README).
"""

from __future__ import annotations

import re
import threading
from typing import Any

#: The countries served: ISO code -> (name, continent, E.164 country codes).
COUNTRIES: dict[str, tuple[str, str, list[str]]] = {
    "IN": ("India", "ASIA", ["+91"]),
    "US": ("United States/Canada", "NORTH_AMERICA", ["+1"]),
    "GB": ("United Kingdom", "EUROPE", ["+44"]),
    "BD": ("Bangladesh", "ASIA", ["+880"]),
    "NP": ("Nepal", "ASIA", ["+977"]),
}
FLAGS = (
    "low_risk_numbers_enabled",
    "high_risk_special_numbers_enabled",
    "high_risk_tollfraud_numbers_enabled",
)
COUNTRY_PATH = re.compile(r"^/v1/DialingPermissions/Countries/([A-Za-z]{2})$")
VOICE_BASE = "https://voice.twilio.com"


class DialingPermissions:
    """The account's voice dialing permissions, per country."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flags: dict[str, dict[str, bool]] = {
            iso: {FLAGS[0]: True, FLAGS[1]: False, FLAGS[2]: False} for iso in COUNTRIES
        }

    def set(self, iso_code: str, **flags: bool) -> dict[str, Any]:
        """Change a country's flags (names from :data:`FLAGS`); its resource."""
        iso = iso_code.upper()
        if iso not in COUNTRIES or set(flags) - set(FLAGS):
            raise ValueError(f"unknown country {iso_code!r} or flag: {sorted(flags)}")
        with self.lock:
            self.flags[iso].update({k: bool(v) for k, v in flags.items()})
        return self.country(iso) or {}

    def country(self, iso_code: str) -> dict[str, Any] | None:
        """The Country resource as Twilio's Voice API returns it, or None if unknown."""
        iso = iso_code.upper()
        if iso not in COUNTRIES:
            return None
        name, continent, codes = COUNTRIES[iso]
        url = f"{VOICE_BASE}/v1/DialingPermissions/Countries/{iso}"
        with self.lock:
            flags = dict(self.flags[iso])
        return {
            "iso_code": iso,
            "name": name,
            "continent": continent,
            "country_codes": codes,
            **flags,
            "url": url,
            "links": {"highrisk_special_prefixes": f"{url}/HighRiskSpecialPrefixes"},
        }


def account_json(account_sid: str, created: str) -> dict[str, Any]:
    """The Account resource (``api.v2010.account``) of the stand-in's one account."""
    uri = f"/2010-04-01/Accounts/{account_sid}.json"
    return {
        "sid": account_sid,
        "owner_account_sid": account_sid,
        "friendly_name": "Stand-in account",
        "status": "active",
        "type": "Full",
        "date_created": created,
        "date_updated": created,
        "uri": uri,
        "subresource_uris": {
            "calls": uri.replace(".json", "/Calls.json"),
            "incoming_phone_numbers": uri.replace(".json", "/IncomingPhoneNumbers.json"),
            "messages": uri.replace(".json", "/Messages.json"),
        },
    }


ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w{32})\.json$")


def account_key(path: str) -> str | None:
    """The fault-injection key of an account or dialing-permissions path, else None."""
    if ACCOUNT_PATH.match(path):
        return "accounts.fetch"
    if COUNTRY_PATH.match(path):
        return "dialing_permissions.fetch"
    return None


def account_resource(
    path: str, method: str, account_sid: str, dialing: DialingPermissions, created: str
) -> tuple[int, dict[str, Any]] | None:
    """Serve the account or a dialing-permissions country (an authenticated request).

    Returns (status, body), or None when ``path`` is neither. Another account's path, an
    unknown country: 404 / 20404; a method other than GET: 405 / 20004.
    """
    account = ACCOUNT_PATH.match(path)
    country = COUNTRY_PATH.match(path)
    if account is None and country is None:
        return None
    if method not in ("GET", "HEAD"):
        return 405, _error(405, 20004, "Method not allowed")
    if account is not None:
        if account.group(1) != account_sid:
            return 404, _error(404, 20404, f"The requested resource {path} was not found")
        return 200, account_json(account_sid, created)
    assert country is not None
    body = dialing.country(country.group(1))
    if body is None:
        return 404, _error(404, 20404, f"The requested resource {path} was not found")
    return 200, body


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
