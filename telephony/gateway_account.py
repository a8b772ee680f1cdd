"""The gateway's account requests: the account itself, its numbers, dialing permissions.

A mixin of :class:`telephony.gateway.TelephonyGateway` (the one entry point callers use);
every request goes through the gateway's ``_request`` (classified errors, one log line).
``sampark twilio setup|check`` use them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from twilio.rest import Client

T = TypeVar("T")

#: An IncomingPhoneNumber's webhook fields: our name -> twilio-python's attribute/argument.
NUMBER_FIELDS = (
    "voice_url",
    "voice_method",
    "status_callback",
    "status_callback_method",
    "sms_url",
    "sms_method",
)


def number_json(pn: Any) -> dict[str, Any]:
    """An IncomingPhoneNumber as a plain dict (sid, phone_number and the webhook fields)."""
    out = {"sid": pn.sid, "phone_number": pn.phone_number, "friendly_name": pn.friendly_name}
    for name in NUMBER_FIELDS:
        out[name] = getattr(pn, name, None)
    return out


class AccountRequests:
    """The account (credentials), its IncomingPhoneNumbers, voice dialing permissions."""

    client: Client

    def _request(
        self, method: str, resource: str, send: Callable[[], T], to: str | None = None
    ) -> T:
        raise NotImplementedError  # the gateway's

    def fetch_account(self) -> dict[str, Any]:
        """The account of the credentials (sid, friendly_name, status, type).

        Refused credentials are a permanent error with status 401 (code 20003).
        """
        account = self._request(
            "GET", "accounts.fetch", lambda: self.client.api.v2010.account.fetch()
        )
        return {
            "sid": account.sid,
            "friendly_name": account.friendly_name,
            "status": account.status,
            "type": account.type,
        }

    def list_incoming_numbers(self) -> list[dict[str, Any]]:
        """Every phone number on the account, with its webhook settings."""
        numbers = self._request(
            "GET", "incoming_phone_numbers.list", lambda: self.client.incoming_phone_numbers.list()
        )
        return [number_json(pn) for pn in numbers]

    def update_incoming_number(self, sid: str, **fields: str) -> dict[str, Any]:
        """Set a number's webhook fields (names from :data:`NUMBER_FIELDS`); its new state."""
        unknown = set(fields) - set(NUMBER_FIELDS)
        if unknown:
            raise ValueError(f"not a number's webhook field: {', '.join(sorted(unknown))}")
        pn = self._request(
            "POST",
            "incoming_phone_numbers.update",
            lambda: self.client.incoming_phone_numbers(sid).update(**fields),
        )
        return number_json(pn)

    def fetch_dialing_permissions(self, iso_code: str) -> dict[str, Any]:
        """Voice dialing geographic permissions for one country (Twilio's Voice API,
        ``GET /v1/DialingPermissions/Countries/{IsoCode}``)."""
        country = self._request(
            "GET",
            "dialing_permissions.countries.fetch",
            lambda: self.client.voice.v1.dialing_permissions.countries(iso_code).fetch(),
        )
        return {
            "iso_code": country.iso_code,
            "name": country.name,
            "low_risk_numbers_enabled": country.low_risk_numbers_enabled,
            "high_risk_special_numbers_enabled": country.high_risk_special_numbers_enabled,
            "high_risk_tollfraud_numbers_enabled": country.high_risk_tollfraud_numbers_enabled,
        }
