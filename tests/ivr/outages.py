"""Outages on demand: the database or Redis of a runtime goes away inside a ``with``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

import redis
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from core.runtime import Runtime

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


@contextmanager
def database_down(runtime: Runtime) -> Iterator[None]:
    """The runtime's database engine (and its sessions) point at a port nobody listens on."""
    dead = create_engine(DEAD_DATABASE, connect_args={"connect_timeout": 1})
    try:
        with (
            patch.object(runtime.db, "engine", dead),
            patch.object(runtime.db, "sessions", sessionmaker(dead)),
        ):
            yield
    finally:
        dead.dispose()


@contextmanager
def redis_down(runtime: Runtime) -> Iterator[None]:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with patch.dict(runtime.__dict__, {"redis": dead, "_queues": {}}):
        yield
