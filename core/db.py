"""The database: one engine and session factory per process, built from settings."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

#: A pooled connection idle for longer than this is pinged before use (a busy worker's
#: connection, back in the pool for milliseconds, is not: one round trip saved per unit of work).
PING_AFTER_IDLE_S = 2.0


class Database:
    """An engine plus a session factory.

    Use ``with db.session() as s:`` for a unit of work: it commits on success and
    rolls back on any exception, so nothing is ever half-written.
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=10,
                pool_timeout=5,
                connect_args={"connect_timeout": 3},
            )
            event.listen(self.engine, "checkin", _note_checkin)
            event.listen(self.engine, "checkout", _pinger(self.engine.dialect))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._held = threading.local()  # see autocommit()
        # A forked child (RQ's work horse, a pre-forking server) must never use a pooled
        # connection it inherited: the parent may use the same socket at the same time.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _forget_pool(ref))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transactional unit of work: commit on success, roll back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """This thread's own connection in autocommit mode, for single-statement writes.

        Each statement commits by itself, durably: no pool checkout, ping, ``BEGIN`` or
        ``COMMIT`` round trip per write. The connection is detached from the pool (it
        never holds a pool slot, and no session is ever handed a connection left in
        autocommit) and kept for the thread's next use; any error closes it, so the next
        use starts on a fresh, working one. A forked child opens its own.
        """
        held: Connection | None = getattr(self._held, "connection", None)
        if held is None or held.closed or self._held.pid != os.getpid():
            held = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            held.detach()
            self._held.connection, self._held.pid = held, os.getpid()
        try:
            yield held
        except BaseException:
            self._held.connection = None
            try:
                held.invalidate()
                held.close()
            except Exception:  # it was broken already: nothing to close
                pass
            raise

    def ping(self) -> None:
        """Raise if the database cannot answer ``SELECT 1``."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _forget_pool(ref: weakref.ref[Database]) -> None:
    """Start the child with an empty pool; the parent's connections are left to the parent."""
    db = ref()
    if db is not None:
        db.engine.dispose(close=False)


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _pinger(dialect: Any) -> Any:
    """Pessimistic disconnect handling, only for connections that sat idle.

    A connection that fails the ping is replaced: SQLAlchemy retries the checkout with a new
    one when this raises ``DisconnectionError``. A new connection has no check-in time and is
    not pinged. A server restart within ``PING_AFTER_IDLE_S`` of a connection's last use still
    fails that one unit of work, and the pool is then invalidated as a whole.
    """

    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        last = record.info.get("checked_in_at")
        if last is None or time.monotonic() - last < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection failed its ping: {error!r}") from error

    return ping_if_idle


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
