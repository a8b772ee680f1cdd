"""Fixtures of the foundation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.db import Database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A ``Database`` with a one-connection pool on the session's PostgreSQL."""
    if database_url.startswith("sqlite"):
        pytest.skip("connection handling is tested on PostgreSQL")
    database = Database(database_url, pool_size=1)
    yield database
    database.dispose()
