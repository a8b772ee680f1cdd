"""``Database.autocommit``: a thread's own connection for single-statement writes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from core.db import Database


def _pid(db: Database) -> int:
    with db.autocommit() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_each_statement_is_committed_by_itself(db: Database) -> None:
    name = "sampark_autocommit_probe"
    with db.autocommit() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(text(f"CREATE TABLE {name} (n int)"))
        conn.execute(text(f"INSERT INTO {name} VALUES (7)"))
    other = create_engine(db.url, poolclass=NullPool)
    try:
        with other.connect() as seen:  # another session sees it: no COMMIT was needed
            assert seen.execute(text(f"SELECT n FROM {name}")).scalar_one() == 7
    finally:
        with db.autocommit() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        other.dispose()


def test_the_connection_is_kept_and_holds_no_pool_slot(db: Database) -> None:
    first = _pid(db)
    assert _pid(db) == first  # kept between uses
    with db.engine.connect():  # the pool's only slot is still free for a session
        assert db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    with db.session() as s:
        assert s.execute(text("SELECT 1")).scalar_one() == 1


def test_threads_have_their_own(db: Database) -> None:
    mine, theirs = _pid(db), []
    worker = threading.Thread(target=lambda: theirs.append(_pid(db)))
    worker.start()
    worker.join()
    assert theirs and theirs[0] != mine


def test_a_connection_dropped_by_the_server_is_replaced_after_the_error(db: Database) -> None:
    first = _pid(db)
    killer = create_engine(db.url, poolclass=NullPool)
    with killer.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    killer.dispose()
    with pytest.raises(OperationalError), db.autocommit() as conn:
        conn.execute(text("SELECT 1"))
    assert _pid(db) != first
