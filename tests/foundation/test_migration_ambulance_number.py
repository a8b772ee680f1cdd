"""Migration 0005: the district's ambulance number replaces the short code Twilio cannot dial."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from models.migrate import downgrade, upgrade
from tests.foundation.test_migrations import empty_postgres  # noqa: F401  (fixture)


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns(table)}


def test_0005_drops_the_short_code_and_adds_an_empty_ambulance_number(
    empty_postgres: str,  # noqa: F811
) -> None:
    upgrade(empty_postgres, "0004")
    engine = create_engine(empty_postgres)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO districts (code, name, state, emergency_number)"
                    " VALUES ('KSG', 'Kishanganj', 'Bihar', '108')"
                )
            )
        upgrade(empty_postgres, "0005")
        assert "emergency_number" not in columns(engine, "districts")
        with engine.begin() as conn:  # 108 is not carried over: it cannot be dialled
            assert conn.scalar(text("SELECT ambulance_number FROM districts")) == ""
            conn.execute(text("UPDATE districts SET ambulance_number = '+916456222108'"))
        downgrade(empty_postgres, "0004")
        assert "ambulance_number" not in columns(engine, "districts")
        with engine.begin() as conn:
            assert conn.scalar(text("SELECT emergency_number FROM districts")) == "108"
    finally:
        engine.dispose()
