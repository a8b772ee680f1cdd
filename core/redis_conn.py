"""Redis: the real server when ``REDIS_URL`` is set, else an embedded stand-in.

Redis is transport only. The embedded stand-in (fakeredis with Lua, able to run
RQ) lets ``make demo`` run on a bare laptop; it lives in this process.
"""

from __future__ import annotations

import logging
import threading

import redis

from core.settings import Settings

log = logging.getLogger(__name__)
_embedded_lock = threading.Lock()
_embedded: redis.Redis | None = None


def embedded_redis() -> redis.Redis:
    """The process-wide in-process Redis stand-in (created on first use)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            import fakeredis

            log.warning(
                "REDIS_URL is not set: using the embedded in-process Redis stand-in "
                "(fakeredis). Set REDIS_URL for a real deployment.",
                extra={"event": "embedded-redis"},
            )
            _embedded = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        return _embedded


def connect_redis(settings: Settings) -> redis.Redis:
    """A Redis client for these settings, with short timeouts so webhooks never hang."""
    if settings.redis_url is None:
        return embedded_redis()
    return redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
