"""The application factory."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from flask.typing import ResponseReturnValue

from core import inputs
from core.logs import configure_logging, request_id_var
from core.runtime import Runtime
from core.settings import Settings
from ivr import views as ivr_views
from ops import metrics
from outbound import sms_webhook
from portal import views as portal_views
from prescriptions import check as prescription_check
from prescriptions import verify as prescription_verify
from prescriptions import voice as prescription_voice
from sampark import health
from sampark.wiring import wire
from workflows import views as workflow_views

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, **flask_config: Any
) -> Flask:
    """Build the Sampark web app.

    Args:
        settings: validated settings; read from the environment when omitted.
        runtime: connections to reuse (tests share one); built from settings when omitted.
        **flask_config: extra Flask config (e.g. ``TESTING=True``).

    Raises:
        UnsafeForProduction: ``SAMPARK_PRODUCTION`` is true and settings are development
            defaults (all of them listed).
    """
    configure_logging()
    wire()
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    settings.check_production()  # SAMPARK_PRODUCTION: no development default gets served
    if settings.uses_embedded_database:
        log.warning(
            "DATABASE_URL is not set: using the embedded SQLite database %s",
            settings.database_url,
            extra={"event": "embedded-database"},
        )
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https"),
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
    )
    app.config.update(flask_config)
    app.extensions["sampark"] = runtime or Runtime.from_settings(settings)

    metrics.install(app)  # first: its timer spans every other hook; serves /metrics
    _install_request_ids(app)
    inputs.install(app)  # before the blueprints: their rules use the ``dbid`` converter
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


#: Each area's blueprint, registered in this order.
BLUEPRINTS: list[Blueprint] = [
    health.bp,
    portal_views.bp,
    prescription_voice.bp,
    ivr_views.bp,
    prescription_verify.bp,
    prescription_check.bp,
    sms_webhook.bp,
    workflow_views.bp,
]


def _install_request_ids(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        rid = request.headers.get("X-Request-Id") or request.headers.get(
            "I-Twilio-Idempotency-Token"
        )
        g.request_id = (rid or uuid.uuid4().hex)[:40]
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def reset_request_id(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.errorhandler(404)
    def not_found(_e: Exception) -> ResponseReturnValue:
        return {"error": "not found"}, 404
