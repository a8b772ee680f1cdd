"""Migration 0004: the partial index of the call legs not ended, by number, comes and goes,
and PostgreSQL answers the one-call-per-number check from it (not a scan of every leg)."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.dialects import postgresql

from core.timeutil import utcnow
from models import CallLeg
from models.migrate import downgrade, upgrade
from outbound.lines import up_to
from tests.foundation.test_migrations import empty_postgres  # noqa: F401  (a fixture)

INDEX = "ix_call_legs_not_ended"


def _indexes(url: str) -> dict[str, dict[str, object]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {str(i["name"]): dict(i) for i in inspect(conn).get_indexes("call_legs")}
    engine.dispose()
    return found


def test_0004_adds_the_index_and_its_downgrade_removes_it(empty_postgres: str) -> None:  # noqa: F811
    upgrade(empty_postgres, "0003")
    assert INDEX not in _indexes(empty_postgres)
    upgrade(empty_postgres, "0004")
    index = _indexes(empty_postgres)[INDEX]
    assert index["column_names"] == ["to_number"]
    where = str(index["dialect_options"]["postgresql_where"])  # type: ignore[index]
    assert "no-answer" in where and "completed" in where
    downgrade(empty_postgres, "0003")
    assert INDEX not in _indexes(empty_postgres)


def test_the_busy_number_check_reads_the_partial_index(empty_postgres: str) -> None:  # noqa: F811
    upgrade(empty_postgres, "head")
    engine = create_engine(empty_postgres)
    query = select(CallLeg.id).where(*up_to(CallLeg, "+919800000001", utcnow()))
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.begin() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # an empty table: ask for the index
        plan = "\n".join(conn.scalars(text(f"EXPLAIN {sql}")))
    engine.dispose()
    assert INDEX in plan, plan
