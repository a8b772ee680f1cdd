"""Fixtures: a fresh app and database per test, on real PostgreSQL and Redis.

``TEST_DATABASE_URL`` and ``TEST_REDIS_URL`` name the servers (``make test`` and
``.ci/run`` set them). Each test session works in a database of its own, created
on that server and dropped at the end, and in a Redis database index of its own,
so that several sessions can run side by side. Each test starts with every table
empty and its Redis database flushed. Under ``CI=true`` a missing server fails
the run; elsewhere the suite falls back to the embedded defaults, and says so.

The ``backend`` fixture says which a test runs on: ``"server"`` (the default) or
``"embedded"`` (a SQLite file and the in-process Redis stand-in, what ``make demo``
runs on). ``tests/ivr`` runs every test on both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import models
from core.runtime import Runtime
from core.settings import Settings
from models import Base
from sampark.app import create_app
from sampark.wiring import wire
from tests.workflows.harness import Stack, running_stack

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_AUTH_TOKEN = "test-auth-token-0123456789"
TEST_ACCOUNT_SID = "AC" + "a1" * 16

wire()  # the handlers the lower layers call (as every entry point does)


def _reachable_database(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _reachable_redis(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of this session's own on the test server (dropped afterwards)."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url or not _reachable_database(server_url):
        if IN_CI:
            pytest.exit(f"CI=true but PostgreSQL is unreachable at {server_url!r}", returncode=3)
        path = f"/tmp/sampark-test-{uuid.uuid4().hex[:8]}.db"
        print(f"\n*** TEST_DATABASE_URL unreachable: falling back to SQLite {path}")
        yield f"sqlite:///{path}"
        return
    name = f"sampark_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str | None]:
    """A Redis database index reserved for this session (1-15), or None for embedded."""
    server_url = os.environ.get("TEST_REDIS_URL")
    if not server_url or not _reachable_redis(server_url):
        if IN_CI:
            pytest.exit(f"CI=true but Redis is unreachable at {server_url!r}", returncode=3)
        print("\n*** TEST_REDIS_URL unreachable: falling back to the embedded Redis stand-in")
        yield None
        return
    base = redis.Redis.from_url(server_url)
    token = uuid.uuid4().hex
    for index in range(1, 16):
        if base.set(f"sampark:test-db-lock:{index}", token, nx=True, ex=3600):
            break
    else:
        pytest.exit("all Redis test databases 1-15 are reserved by other sessions", returncode=3)
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{index}"))
    finally:
        base.delete(f"sampark:test-db-lock:{index}")


@pytest.fixture(scope="session")
def _schema(database_url: str) -> str:
    engine = create_engine(database_url)
    assert models  # every table mapped
    Base.metadata.create_all(engine)
    engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def _embedded_schema(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database of this session's own, with the schema (``make demo``'s kind)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'sampark.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def backend() -> str:
    """``"server"``: PostgreSQL and Redis; ``"embedded"``: SQLite and the Redis stand-in."""
    return "server"


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """Settings for one test: the backend's database and Redis, a local stand-in Twilio."""
    if backend == "embedded":
        database_url, redis_url = request.getfixturevalue("_embedded_schema"), None
    else:
        database_url = request.getfixturevalue("_schema")
        redis_url = request.getfixturevalue("redis_url")
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        twilio_account_sid=TEST_ACCOUNT_SID,
        twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_api_base_url="http://127.0.0.1:9",
        public_base_url="http://sampark.test",
        secret_key="test-secret-key-0123456789",
        instance_path=tmp_path,
        queue_prefix=f"t{uuid.uuid4().hex[:6]}",
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on empty tables and an empty Redis database."""
    rt = Runtime.from_settings(settings)
    _empty_tables(rt)
    rt.redis.flushdb()  # the embedded stand-in too: it lives as long as the process
    yield rt
    rt.close()


def _empty_tables(rt: Runtime) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with rt.db.engine.begin() as conn:
        if rt.db.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            quoted = ", ".join(f'"{n}"' for n in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    """A fresh app on the test runtime."""
    return create_app(runtime.settings, runtime=runtime, TESTING=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def stack(runtime: Runtime) -> Iterator[Stack]:
    """A whole running stack: the app over HTTP, the stand-in on a virtual clock, one RQ
    worker process, on the session's PostgreSQL and Redis (tests/workflows/harness.py)."""
    if runtime.settings.redis_url is None or runtime.db.is_sqlite:
        pytest.skip("whole-consultation tests need real PostgreSQL and Redis")
    with running_stack(runtime.settings) as s:
        yield s
