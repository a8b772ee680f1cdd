"""Alembic upgrades an empty database to the models' schema and downgrades it to empty."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from models import Base
from models.migrate import current_revision, downgrade, upgrade


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server or not server.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL on PostgreSQL")
    name = f"sampark_m_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _assert_matches_models(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"migrations and models disagree: {diff}"


def _user_objects(url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        types = []
        if conn.dialect.name == "postgresql":
            types = list(
                conn.scalars(
                    text(
                        "SELECT typname FROM pg_type t JOIN pg_namespace n"
                        " ON n.oid = t.typnamespace "
                        "WHERE n.nspname = 'public' AND t.typtype = 'e'"
                    )
                )
            )
    engine.dispose()
    return tables, types


def test_postgres_upgrade_to_head_then_downgrade_to_empty(empty_postgres: str) -> None:
    upgrade(empty_postgres, "head")
    assert current_revision(empty_postgres) is not None
    _assert_matches_models(empty_postgres)
    downgrade(empty_postgres, "base")
    assert current_revision(empty_postgres) is None
    assert _user_objects(empty_postgres) == ([], [])


def test_sqlite_upgrade_to_head_then_downgrade_to_empty(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "head")
    _assert_matches_models(url)
    downgrade(url, "base")
    assert _user_objects(url) == ([], [])
