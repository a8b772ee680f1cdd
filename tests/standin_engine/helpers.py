"""Helpers for reading what the TwiML app received."""

from __future__ import annotations

from typing import Any

from flask import Flask


def seen(app: Flask, path: str | None = None) -> list[dict[str, Any]]:
    """Requests the app received (optionally only those to ``path``), in arrival order."""
    return [s for s in app.config["SEEN"] if path is None or s["path"] == path]


def statuses(app: Flask, sid: str) -> list[str]:
    """CallStatus of each call status callback for ``sid``, in arrival order."""
    return [s["form"]["CallStatus"] for s in seen(app, "/status") if s["form"]["CallSid"] == sid]


def conference_events(app: Flask) -> list[tuple[str, str | None]]:
    """(StatusCallbackEvent, ParticipantLabel) of each conference callback, in order."""
    return [
        (s["form"]["StatusCallbackEvent"], s["form"].get("ParticipantLabel"))
        for s in seen(app, "/conference-status")
    ]
