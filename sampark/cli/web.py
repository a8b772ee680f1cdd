"""``sampark web``: serve the app (development server; use gunicorn in production)."""

from __future__ import annotations

import click

from sampark.cli import load_settings


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def web_cmd(host: str, port: int) -> None:
    """Serve the web app and webhooks.

    Refuses to start, one line per problem (``sampark.cli.errors``), on settings that
    ``SAMPARK_PRODUCTION`` forbids, or a database or Redis server out of reach.
    """
    from core.runtime import Runtime
    from sampark.app import create_app

    settings = load_settings()
    settings.check_production()
    runtime = Runtime.from_settings(settings)
    runtime.db.ping()  # out of reach: "database error: ..." and exit 3
    if not settings.uses_embedded_redis:
        runtime.redis.ping()  # out of reach: "Redis unreachable: ..." and exit 3
    app = create_app(settings, runtime=runtime)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


COMMANDS = [web_cmd]
