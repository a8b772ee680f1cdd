"""Migration 0006: the partial index of the active intake calls comes and goes, and
PostgreSQL answers the sweeper's silent-intake query from it."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from models.migrate import downgrade, upgrade
from tests.foundation.test_migrations import empty_postgres  # noqa: F401  (a fixture)

INDEX = "ix_ivr_sessions_active_updated"


def _indexes(url: str) -> dict[str, dict[str, object]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {str(i["name"]): dict(i) for i in inspect(conn).get_indexes("ivr_sessions")}
    engine.dispose()
    return found


def test_0006_adds_the_index_and_its_downgrade_removes_it(empty_postgres: str) -> None:  # noqa: F811
    upgrade(empty_postgres, "0005")
    assert INDEX not in _indexes(empty_postgres)
    upgrade(empty_postgres, "0006")
    index = _indexes(empty_postgres)[INDEX]
    assert index["column_names"] == ["updated_at"]
    where = str(index["dialect_options"]["postgresql_where"])  # type: ignore[index]
    assert "active" in where
    downgrade(empty_postgres, "0005")
    assert INDEX not in _indexes(empty_postgres)


def test_the_silent_intake_query_can_read_the_index(empty_postgres: str) -> None:  # noqa: F811
    upgrade(empty_postgres, "head")
    engine = create_engine(empty_postgres)
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = " ".join(
            row[0]
            for row in conn.execute(
                text(
                    "EXPLAIN SELECT call_sid FROM ivr_sessions "
                    "WHERE status = 'active' AND updated_at < now() ORDER BY updated_at"
                )
            )
        )
    engine.dispose()
    assert INDEX in plan
