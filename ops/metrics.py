"""Prometheus metrics: ``GET /metrics``, for the district's monitoring, never the public.

What is measured, and where each value comes from:

- **Webhook latency by route** (``sampark_http_request_duration_seconds``) and responses
  by route and status (``sampark_http_responses_total``): measured in the web process by
  a request hook (:func:`install`), labelled by the Flask URL rule
  (``/ivr/<dbid:session_id>/step``), never the raw path. Under gunicorn each worker is
  its own process: set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, in the
  environment before gunicorn starts; ``gunicorn.conf.py`` empties it at start and marks
  dead workers) and every scrape adds up all workers' histograms. Without it the figures
  are those of the one worker that answered the scrape.
- Everything else is read **at scrape time** (``ops/metrics_sources.py``) from what two
  hosts share, so every web host reports the same figures (nothing in process memory):

  - PostgreSQL: consultations by state, consultations stuck past their deadline, call
    legs by role and status, SMS by status, doctors on duty by district;
  - Redis: depth, oldest job's age, failed and scheduled jobs of each RQ queue, the RQ
    workers alive, and the sweeper's passes and re-drives (the sweeper adds its counts
    to a Redis hash, ``ops.metrics_sources.record_sweep``: a re-drive on any worker
    host counts once);
  - this host's disk: the durable fallback's records waiting (``core.fallback``): they
    are per host, so sum them over hosts.

  A source that cannot be read leaves its metrics out of that scrape and sets
  ``sampark_metrics_source_up{source}`` to 0 (alert on it).

Access (:func:`allowed`): a client inside ``METRICS_ALLOW`` (default loopback), or one
with ``Authorization: Bearer <METRICS_TOKEN>``; anyone else gets the app's 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterable

from flask import Blueprint, Flask, Request, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from core.runtime import Runtime, current_runtime
from core.settings import Settings
from ops.metrics_sources import SamparkCollector

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
UNMATCHED = "<unmatched>"

# Process-wide (one per process, whatever the number of apps); not in the global registry:
# each scrape builds its registry (:func:`render`).
LATENCY = Histogram(
    "sampark_http_request_duration_seconds",
    "Time to answer a request (webhooks, portal), by Flask URL rule and method.",
    ("route", "method"),
    buckets=LATENCY_BUCKETS,
    registry=None,
)
RESPONSES = Counter(
    "sampark_http_responses",
    "Responses by Flask URL rule and HTTP status.",
    ("route", "status"),
    registry=None,
)


def install(app: Flask) -> None:
    """Time every request but ``/metrics``'s own, and serve ``/metrics``."""

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        rule = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        if started is not None and request.endpoint != "metrics.metrics":
            LATENCY.labels(rule, request.method).observe(time.perf_counter() - started)
            RESPONSES.labels(rule, str(response.status_code)).inc()
        return response

    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics() -> Response:
    runtime = current_runtime()
    if not allowed(request, runtime.settings):
        log.warning(
            "metrics refused", extra={"remote": request.remote_addr, "event": "metrics-refused"}
        )
        abort(404)  # the same answer as a path that does not exist
    return Response(render(runtime), mimetype=None, content_type=CONTENT_TYPE_LATEST)


def allowed(req: Request, settings: Settings) -> bool:
    """Whether ``req`` may read the metrics.

    With the bearer token, from anywhere. Otherwise the client must be inside
    ``METRICS_ALLOW``: the peer itself, or, for a request that came through a proxy
    (``X-Forwarded-For``), the address that proxy saw (its last hop); the proxy must then be
    this machine or inside ``METRICS_ALLOW``. So a public request relayed by the local
    nginx is refused, whatever ``X-Forwarded-For`` it forged.
    """
    token = settings.metrics_token
    auth = req.headers.get("Authorization", "")
    if (
        token
        and auth.startswith("Bearer ")
        and hmac.compare_digest(auth[7:].strip().encode(), token.encode())
    ):
        return True
    networks = [ipaddress.ip_network(n) for n in settings.metrics_allow]
    peer = req.remote_addr or ""
    hops = [h.strip() for h in req.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    if not hops:
        return _inside(peer, networks)
    proxy_ok = _inside(peer, [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1")])
    return (proxy_ok or _inside(peer, networks)) and _inside(hops[-1], networks)


def _inside(
    address: str, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


def render(runtime: Runtime) -> bytes:
    """The exposition text of one scrape."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every gunicorn worker's latency, added up
    else:
        registry.register(LATENCY)
        registry.register(RESPONSES)
    registry.register(SamparkCollector(runtime))
    return generate_latest(registry)
