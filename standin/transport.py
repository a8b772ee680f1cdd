"""How the stand-in's webhooks reach the application: real HTTP, or in-process WSGI."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import urllib3
from werkzeug.test import Client, EnvironBuilder

# Twilio waits 15 seconds for a webhook response
# (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides#timeout-t).
WEBHOOK_TIMEOUT = 15.0


@dataclass
class Response:
    """What came back from a webhook request."""

    status: int | None
    body: str
    content_type: str = ""
    error: str | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


class Transport(Protocol):
    """Delivers one signed webhook request."""

    def deliver(
        self, method: str, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> Response: ...


class HttpTransport:
    """Real HTTP, 15 s timeout like Twilio, through urllib3's connection pools (the library
    under ``requests``, at about half its CPU per request: it matters under load)."""

    def __init__(self, timeout: float = WEBHOOK_TIMEOUT, pool_size: int = 16) -> None:
        self.timeout = urllib3.Timeout(total=timeout)
        self._pool = urllib3.PoolManager(num_pools=32, maxsize=pool_size, block=False)

    def deliver(
        self, method: str, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> Response:
        """POST the form (or GET the URL, whose query already carries the params)."""
        t0 = time.perf_counter()
        body = urlencode(params) if method == "POST" else None
        try:
            resp = self._pool.request(
                method, url, body=body, headers=headers, timeout=self.timeout,
                retries=urllib3.Retry(total=False, redirect=5, raise_on_redirect=False),
            )  # fmt: skip
        except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass)
            return Response(None, "", error=f"connection error: {exc}", elapsed_ms=_ms(t0))
        except urllib3.exceptions.TimeoutError as exc:
            return Response(None, "", error=f"timeout: {exc}", elapsed_ms=_ms(t0))
        except urllib3.exceptions.HTTPError as exc:
            return Response(None, "", error=f"connection error: {exc}", elapsed_ms=_ms(t0))
        return Response(
            resp.status,
            resp.data.decode("utf-8", "replace"),
            resp.headers.get("Content-Type", ""),
            elapsed_ms=_ms(t0),
        )


class WsgiTransport:
    """Delivers webhooks in-process through a WSGI app (werkzeug's test client).

    The request carries the same URL (scheme, host, path, query) and signature as over HTTP,
    so ``RequestValidator`` in the app sees exactly what Twilio would have signed.
    """

    def __init__(self, wsgi_app: Any, timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.app = wsgi_app
        self.timeout = timeout
        self._client = Client(wsgi_app, use_cookies=False)
        self._lock = threading.Lock()

    def deliver(
        self, method: str, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> Response:
        """Run the request through the WSGI app."""
        parts = urlsplit(url)
        builder = EnvironBuilder(
            path=parts.path or "/",
            base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query,
            method=method,
            data=params if method == "POST" else None,
            headers=list(headers.items()),
        )
        t0 = time.perf_counter()
        try:
            resp = self._client.open(builder)
        except Exception as exc:  # the app crashed outside Flask's handler
            return Response(500, "", error=f"wsgi app raised {exc!r}", elapsed_ms=_ms(t0))
        finally:
            builder.close()
        elapsed = _ms(t0)
        if elapsed > self.timeout * 1000:  # Twilio would have given up waiting
            return Response(None, "", error=f"timeout: no answer in {self.timeout:g} s",
                            elapsed_ms=elapsed)  # fmt: skip
        return Response(
            resp.status_code,
            resp.get_data().decode("utf-8", "replace"),  # audio for <Play> is not text
            resp.headers.get("Content-Type", ""),
            elapsed_ms=_ms(t0),
        )


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
