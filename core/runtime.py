"""The process's shared resources (settings, database, Redis, queues) in one object.

The web app keeps one in ``app.extensions["sampark"]``; an RQ worker builds one
from the environment. Code that runs in both takes a ``Runtime`` argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import redis
from flask import current_app
from rq import Queue

from core.db import Database
from core.redis_conn import connect_redis
from core.settings import Settings


@dataclass
class Runtime:
    """Settings plus the live connections built from them."""

    settings: Settings
    db: Database
    _queues: dict[str, Queue] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(settings=settings, db=Database(settings.database_url))

    @classmethod
    def from_env(cls) -> Runtime:
        return cls.from_settings(Settings.from_env())

    @cached_property
    def redis(self) -> redis.Redis:
        return connect_redis(self.settings)

    def queue(self, name: str = "default") -> Queue:
        """The RQ queue ``<prefix>-<name>`` on this runtime's Redis."""
        if name not in self._queues:
            self._queues[name] = Queue(
                f"{self.settings.queue_prefix}-{name}", connection=self.redis
            )
        return self._queues[name]

    def close(self) -> None:
        self.db.dispose()


def current_runtime() -> Runtime:
    """The runtime of the Flask app handling this request."""
    runtime: Any = current_app.extensions["sampark"]
    assert isinstance(runtime, Runtime)
    return runtime


_process_runtime: Runtime | None = None


def process_runtime() -> Runtime:
    """The runtime of this worker process, built from the environment on first use.

    RQ jobs call this; tests install theirs with ``install_process_runtime``.
    """
    global _process_runtime
    if _process_runtime is None:
        _process_runtime = Runtime.from_env()
    return _process_runtime


def install_process_runtime(runtime: Runtime | None) -> None:
    """Make ``runtime`` the one ``process_runtime()`` returns (None resets)."""
    global _process_runtime
    _process_runtime = runtime
