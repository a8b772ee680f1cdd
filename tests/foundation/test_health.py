"""GET /healthz reports database and Redis reachability."""

from __future__ import annotations

from flask.testing import FlaskClient

from core.runtime import Runtime
from sampark.app import create_app


def test_healthy_when_both_answer(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}
    assert response.headers["X-Request-Id"]


def test_unavailable_names_the_database_when_it_is_down(runtime: Runtime) -> None:
    broken = runtime.settings.with_overrides(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    app = create_app(broken, TESTING=True)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"


def test_unavailable_names_redis_when_it_is_down(runtime: Runtime) -> None:
    broken = runtime.settings.with_overrides(redis_url="redis://127.0.0.1:1/0")
    app = create_app(broken, TESTING=True)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "redis": "unreachable"}
