"""The fast path's libpq statements mean what the same SQL means through a cursor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from core.runtime import Runtime
from ivr.rawpg import RawStatements, Timestamp, Unsupported, positional

pytestmark = pytest.mark.usefixtures("server_only")  # PostgreSQL's own path


@pytest.fixture
def connection(runtime: Runtime) -> Iterator[psycopg.Connection[Any]]:
    url = make_url(runtime.settings.database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(
            "CREATE TEMP TABLE t (id serial PRIMARY KEY, n int, flag bool, label text, "
            "doc json, at timestamptz DEFAULT now())"
        )
        yield conn


def test_placeholders_become_numbered_once_per_name() -> None:
    sql, names = positional("SELECT %(a)s, %(b)s WHERE x = %(a)s")
    assert sql == b"SELECT $1, $2 WHERE x = $1"
    assert names == ("a", "b")


def test_values_round_trip_as_their_columns_type_them(connection) -> None:
    raw = RawStatements(connection)
    params = {"n": 42, "flag": True, "label": "नमस्ते", "doc": '{"a": [1, 2]}'}
    insert = (
        "INSERT INTO t (n, flag, label, doc) "
        "VALUES (%(n)s, %(flag)s, %(label)s, %(doc)s::json) RETURNING id"
    )
    assert raw.run(insert, params) == [(b"1",)]
    assert raw.run(insert, {**params, "n": None, "flag": False}) == [(b"2",)]  # re-prepared
    row = connection.execute("SELECT n, flag, label, doc::text FROM t WHERE id = 1").fetchone()
    assert row == (42, True, "नमस्ते", '{"a": [1, 2]}')
    row = connection.execute("SELECT n, flag FROM t WHERE id = 2").fetchone()
    assert row == (None, False)


def test_a_timestamp_read_as_text_matches_exactly_when_sent_back(connection) -> None:
    raw = RawStatements(connection)
    connection.execute(
        "INSERT INTO t (n, at) VALUES (1, %s)", [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)]
    )
    [(at,)] = raw.run("SELECT at FROM t WHERE n = %(n)s", {"n": 1})
    stamp = Timestamp(at or b"")
    assert raw.run("SELECT count(*) FROM t WHERE at = %(at)s", {"at": stamp}) == [(b"1",)]
    later = Timestamp(b"2026-01-02 03:04:05.678902+00")
    assert raw.run("SELECT count(*) FROM t WHERE at = %(at)s", {"at": later}) == [(b"0",)]


def test_an_integer_in_a_select_list_is_typed_for_its_column(connection) -> None:
    raw = RawStatements(connection)
    raw.run("INSERT INTO t (n) SELECT %(n)s FROM (VALUES (1)) AS x(v)", {"n": 7})
    assert connection.execute("SELECT n FROM t").fetchone() == (7,)


def test_a_type_it_does_not_encode_is_left_to_a_cursor(connection) -> None:
    with pytest.raises(Unsupported):
        RawStatements(connection).run("SELECT %(x)s", {"x": 1.5})


def test_errors_are_psycopgs_own(connection) -> None:
    raw = RawStatements(connection)
    with pytest.raises(psycopg.errors.UndefinedTable):
        raw.run("SELECT * FROM no_such_table WHERE id = %(id)s", {"id": 1})
    assert raw.run("SELECT %(n)s::int + 1", {"n": 1}) == [(b"2",)]  # still usable
    connection.pgconn.finish()  # the server went away
    with pytest.raises(psycopg.OperationalError):
        raw.run("SELECT %(n)s::int + 1", {"n": 1})
