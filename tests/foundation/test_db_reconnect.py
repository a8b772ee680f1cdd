"""The pool pings a connection only after it sat idle, and replaces one the server dropped."""

from __future__ import annotations

from unittest.mock import patch

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from core.db import Database


def _backend_pid(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_connection_dropped_by_the_server_is_replaced(db: Database) -> None:
    first = _backend_pid(db)
    killer = create_engine(db.url, poolclass=NullPool)
    with killer.connect() as other:  # not from db's pool: that holds the victim
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    killer.dispose()
    with patch("core.db.PING_AFTER_IDLE_S", 0.0):  # every check-out counts as idle
        second = _backend_pid(db)  # no error: the dead connection failed its ping
    assert second != first


def test_a_connection_just_checked_in_is_not_pinged(db: Database) -> None:
    _backend_pid(db)
    with patch.object(db.engine.dialect, "do_ping", wraps=db.engine.dialect.do_ping) as ping:
        for _ in range(3):
            _backend_pid(db)
        assert ping.call_count == 0
        with patch("core.db.PING_AFTER_IDLE_S", 0.0):
            _backend_pid(db)
        assert ping.call_count == 1
