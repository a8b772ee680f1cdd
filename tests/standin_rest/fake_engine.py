"""A tiny in-memory engine for the REST layer's own unit tests (the real one runs TwiML)."""

from __future__ import annotations

import itertools
from typing import Any

from standin.errors import TwilioApiError, not_found

ACCOUNT = "AC" + "1" * 32


class FakeEngine:
    """Stores what the REST layer hands it and answers in Twilio's JSON shape."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.calls: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.participants: dict[tuple[str, str], dict[str, Any]] = {}
        self.received: list[tuple[str, tuple[Any, ...]]] = []

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):032x}"

    def create_call(self, params: dict[str, Any]) -> dict[str, Any]:
        self.received.append(("create_call", (params,)))
        sid = self._sid("CA")
        call = {
            "sid": sid,
            "account_sid": ACCOUNT,
            "to": params["To"],
            "from": params["From"],
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
        }
        self.calls[sid] = call
        return call

    def fetch_call(self, sid: str) -> dict[str, Any]:
        if sid not in self.calls:
            raise not_found(f"Accounts/{ACCOUNT}/Calls", sid)
        return self.calls[sid]

    def update_call(self, sid: str, params: dict[str, Any]) -> dict[str, Any]:
        call = self.fetch_call(sid)
        if params.get("Url") and call["status"] == "completed":
            raise TwilioApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
        if params.get("Status"):
            call["status"] = params["Status"]
        return call

    def list_calls(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        wanted = {k: v for k, v in filters.items() if k not in ("Page", "PageSize", "PageToken")}
        self.received.append(("list_calls", (wanted,)))
        return [
            c for c in self.calls.values() if all(c.get(k.lower()) == v for k, v in wanted.items())
        ]

    def create_participant(self, conference: str, params: dict[str, Any]) -> dict[str, Any]:
        self.received.append(("create_participant", (conference, params)))
        call = self.create_call({"To": params["To"], "From": params["From"]})
        part = {
            "account_sid": ACCOUNT,
            "call_sid": call["sid"],
            "conference_sid": "CF" + "2" * 32,
            "label": params.get("Label"),
            "hold": False,
            "muted": False,
            "status": "queued",
        }
        self.participants[(part["conference_sid"], call["sid"])] = part
        return part

    def update_participant(
        self, conference: str, call_sid: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        part = self.participants[(conference, call_sid)]
        part.update({k.lower(): v for k, v in params.items()})
        return part

    def list_conferences(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "sid": "CF" + "2" * 32,
                "friendly_name": filters.get("FriendlyName", "room"),
                "status": "in-progress",
                "account_sid": ACCOUNT,
            }
        ]

    def create_message(self, params: dict[str, Any]) -> dict[str, Any]:
        self.received.append(("create_message", (params,)))
        sid = self._sid("SM")
        msg = {
            "sid": sid,
            "account_sid": ACCOUNT,
            "to": params["To"],
            "from": params.get("From"),
            "body": params.get("Body"),
            "status": "queued",
            "num_segments": "1",
        }
        self.messages[sid] = msg
        return msg
