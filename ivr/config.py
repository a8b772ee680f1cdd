"""The IVR's tunable rules (call windows, retries, rate limits), read once per settings.

Every rule a district may change is configuration: ``Settings.extra["ivr"]`` (a
mapping, for tests and tools) overrides environment variables, which override the
defaults below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import time
from typing import Any

from core.clock import CallWindow
from core.settings import Settings, SettingsError

_ENV = {
    "call_window": "IVR_CALL_WINDOW",  # "08:00-20:00" IST
    "resume_minutes": "IVR_RESUME_MINUTES",
    "rate_limit_calls": "IVR_RATE_LIMIT_CALLS",
    "rate_limit_minutes": "IVR_RATE_LIMIT_MINUTES",
    "audio_base_url": "IVR_AUDIO_BASE_URL",
    "fast_commit": "IVR_FAST_COMMIT",  # sync | async
}

#: Call-backs from 08:00 to 20:00 IST unless ``IVR_CALL_WINDOW`` says otherwise.
CALL_WINDOW = CallWindow(time(8, 0), time(20, 0))


@dataclass(frozen=True)
class IvrConfig:
    """Rules of the intake IVR.

    Attributes:
        call_window: the call-back window, IST (urgent calls ignore it).
        resume_minutes: a caller ringing back within this time continues the same intake.
        rate_limit_calls / rate_limit_minutes: more calls than this from one number
            within the window are turned away politely.
        max_retries: a question is asked again this many times after no input.
        max_wrong_keys: wrong keys tolerated at one question before a call-back is promised.
        gather_timeout: seconds Twilio waits for a key.
        audio_base_url: where recorded prompts live (``<Play>``); None = text-to-speech only.
        fast_commit: ``sync`` (default): every answer is on disk before the caller hears
            the next question. ``async``: the ordinary answers written by the fast path
            commit without waiting for the WAL flush (PostgreSQL ``synchronous_commit =
            off`` on that connection only); a database *server* crash may then forget the
            last fraction of a second of answers (the caller is asked that question again
            on ring-back), never an outcome (complete, emergency, abandoned), which always
            commits synchronously.
        dial_caller_id: the caller ID of a ``<Dial>`` from a call (the emergency forward):
            ``OUTBOUND_CALLER_ID`` (``Settings.outbound_caller_id``); None: Twilio's default,
            the caller's own number (``ivr.twiml.connect_emergency``).
    """

    call_window: CallWindow = CALL_WINDOW
    resume_minutes: int = 30
    rate_limit_calls: int = 6
    rate_limit_minutes: int = 10
    max_retries: int = 2
    max_wrong_keys: int = 3
    gather_timeout: int = 7
    audio_base_url: str | None = None
    fast_commit: str = "sync"
    dial_caller_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> IvrConfig:
        key = id(settings)
        cached = _CACHE.get(key)
        if cached is not None and cached[0] is settings:
            return cached[1]
        config = cls.from_mapping(_env_values(os.environ))
        config = replace(config, dial_caller_id=settings.outbound_caller_id)
        overrides = settings.extra.get("ivr") if settings.extra else None
        if isinstance(overrides, Mapping):
            config = replace(config, **_coerce(dict(overrides)))
        _CACHE[key] = (settings, config)
        return config

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> IvrConfig:
        return replace(cls(), **_coerce(dict(values)))


_CACHE: dict[int, tuple[Settings, IvrConfig]] = {}


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    return {name: env[var] for name, var in _ENV.items() if env.get(var)}


def parse_window(text: str) -> CallWindow:
    """``"08:00-20:00"`` -> the window; raises SettingsError naming the value."""
    try:
        return CallWindow.parse(text)
    except ValueError as exc:
        raise SettingsError(f"IVR_CALL_WINDOW={text!r} is not a window like 08:00-20:00") from exc


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    known = {f.name: f.type for f in fields(IvrConfig)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "call_window":
            out[name] = parse_window(value) if isinstance(value, str) else CallWindow.of(value)
        elif name not in known:
            raise SettingsError(f"unknown IVR setting {name!r}")
        elif name == "audio_base_url":
            out[name] = str(value).rstrip("/") or None
        elif name == "fast_commit":
            if value not in ("sync", "async"):
                raise SettingsError(f"IVR_FAST_COMMIT={value!r}: use sync or async")
            out[name] = value
        elif isinstance(value, str):
            try:
                out[name] = int(value)
            except ValueError as exc:
                raise SettingsError(f"IVR setting {name}={value!r} is not a number") from exc
        else:
            out[name] = value
    return out
