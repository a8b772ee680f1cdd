"""Migration 0003: the caller and called-party columns take any caller ID Twilio sends."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from models.migrate import downgrade, upgrade
from tests.foundation.test_migrations import empty_postgres  # noqa: F401  (fixture)

SIP = "sip:alice.kumari@kishanganj-telemedicine-pilot.sip.twilio.com;transport=tls"
INSERT = text(
    "INSERT INTO ivr_sessions (call_sid, caller, dialled, direction, channel, node, retries,"
    " errors, language, status, vars, created_at, updated_at) VALUES (:sid, :caller,"
    " '+916456222333', 'inbound', 'spoke', 'language', 0, 0, 'hi', 'active', '{}', now(), now())"
)


def test_0003_widens_caller_ids_and_keeps_the_rows(empty_postgres: str) -> None:  # noqa: F811
    upgrade(empty_postgres, "0002")
    engine = create_engine(empty_postgres)
    try:
        with engine.begin() as conn:
            conn.execute(INSERT, {"sid": "CA1", "caller": "+919431012345"})
        with pytest.raises(DBAPIError), engine.begin() as conn:  # what the apology came from
            conn.execute(INSERT, {"sid": "CA2", "caller": SIP})
        upgrade(empty_postgres, "0003")
        with engine.begin() as conn:
            conn.execute(INSERT, {"sid": "CA2", "caller": SIP})
            rows = conn.execute(text("SELECT call_sid, caller FROM ivr_sessions ORDER BY id"))
            assert [tuple(r) for r in rows] == [("CA1", "+919431012345"), ("CA2", SIP)]
        with pytest.raises(DBAPIError):  # no way back while a caller ID would not fit
            downgrade(empty_postgres, "0002")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM ivr_sessions WHERE call_sid = 'CA2'"))
        downgrade(empty_postgres, "0002")
    finally:
        engine.dispose()
