"""Structured logs: one JSON object a line, with a request id, never a secret."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_SECRET_KEYS = re.compile(r"(token|secret|password|authorization|signature)", re.I)
_SECRET_VALUES = re.compile(
    r"(?i)(auth_token|password|secret_key|authorization)=([^&\s]+)"
    r"|(Basic|Bearer) [A-Za-z0-9+/=._-]+"
)
#: Terminal colour and cursor codes (RQ colours its worker's messages): not for a JSON line.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(value: Any) -> Any:
    """Mask secret-looking values in strings and mappings; drop terminal colour codes."""
    if isinstance(value, dict):
        return {k: ("***" if _SECRET_KEYS.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, str):
        value = _ANSI.sub("", value)
        return _SECRET_VALUES.sub(
            lambda m: f"{m.group(1)}=***" if m.group(1) else f"{m.group(3)} ***", value
        )
    return value


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with time, level, logger, message and extras."""

    converter = time.gmtime  # type: ignore[assignment]

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = "***" if _SECRET_KEYS.search(key) else redact(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: str | None = None) -> None:
    """Send every log record at ``level`` (INFO by default) and above to stderr as JSON.

    Idempotent: a later call changes only the level, and only when it names one
    (``sampark worker`` asks for INFO under the CLI's WARNING; the app factory names none,
    so ``sampark simulate`` and the demo keep theirs).
    """
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        if level is not None:
            root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level or "INFO")
