"""``sampark web``: serve the app (development server; use gunicorn in production)."""

from __future__ import annotations

import click

from sampark.cli import load_settings


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def web_cmd(host: str, port: int) -> None:
    """Serve the web app and webhooks."""
    from sampark.app import create_app

    app = create_app(load_settings())
    app.run(host=host, port=port, threaded=True, use_reloader=False)


COMMANDS = [web_cmd]
