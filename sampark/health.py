"""``GET /healthz``: is the database reachable, is Redis reachable.

The body also counts the webhooks quarantined in the durable fallback (they wait
for ``sampark fallback retry|drop``); they do not make the instance unhealthy.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from core.fallback import quarantined_count
from core.runtime import current_runtime
from core.settings import Settings

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when both parts answer; 503 naming the part that failed."""
    runtime = current_runtime()
    checks: dict[str, str] = {}
    try:
        runtime.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("health check: database unreachable", extra={"error": type(exc).__name__})
        checks["database"] = "unreachable"
    try:
        runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        log.warning("health check: redis unreachable", extra={"error": type(exc).__name__})
        checks["redis"] = "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "embedded": {
            "database": runtime.settings.uses_embedded_database,
            "redis": runtime.settings.uses_embedded_redis,
        },
        "fallback": {"quarantined": _quarantined(runtime.settings)},
    }
    return jsonify(body), 200 if healthy else 503


def _quarantined(settings: Settings) -> int | None:
    """Quarantined fallback records (None if the directory cannot be read)."""
    try:
        return quarantined_count(settings)
    except OSError:
        return None
