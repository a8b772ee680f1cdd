"""A threaded HTTP/1.1 keep-alive WSGI server for the stand-in's REST API.

werkzeug's development server closes the connection after every response; Twilio keeps it
alive, and so does this one. The body is read in full (``Content-Length`` only: a chunked
request gets 411) before the app runs, and every response carries ``Content-Length``.
Nothing is logged per request; an app exception is answered with Twilio's 500 JSON.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from socketserver import TCPServer
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_BODY = 16 * 1024 * 1024
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
_HOP_BY_HOP = {"connection", "content-length", "keep-alive", "transfer-encoding"}


class KeepAliveHandler(BaseHTTPRequestHandler):
    """One connection: requests are served in turn until either side closes it."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: KeepAliveWSGIServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # idle keep-alive ends

    def handle_one_request(self) -> None:
        try:
            self._serve_one()
        except _GONE:  # the client went away (or idled past the timeout): drop it quietly
            self.close_connection = True

    def _serve_one(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or len(self.raw_requestline) > 65536:
            self.close_connection = True  # the client closed (or sent garbage)
            return
        if not self.parse_request():  # it answered 400/505 and closes
            return
        if self.request_version != "HTTP/1.1":
            self.close_connection = True  # HTTP/1.0 clients: one request per connection
        given = self.headers.get("Content-Length", "0")
        length = int(given) if given.isdigit() else -1
        if "Transfer-Encoding" in self.headers or not 0 <= length <= MAX_BODY:
            self.close_connection = True  # a chunked body is not read; the stream is lost
            status = "411 Length Required" if length == 0 else "400 Bad Request"
            return self._send(status, [], _error_body(int(status[:3]), status[4:]))
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return
        self._send(*self._call_app(body))

    def _call_app(self, body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return lambda data: written.append(data)

        written: list[bytes] = []
        try:
            result = self.server.app(self._environ(body), start_response)
            try:
                written.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            return started[0], started[1], b"".join(written)
        except Exception:
            log.exception("stand-in HTTP: the app failed on %s %s", self.command, self.path)
            return "500 Internal Server Error", [], _error_body(500, "Internal Server Error", 20500)

    def _environ(self, body: bytes) -> dict[str, Any]:
        target = self.path
        if not target.startswith("/"):  # absolute-form: http://host/path?query
            target = urlsplit(target)._replace(scheme="", netloc="").geturl()
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)) if body else "",
            "SERVER_NAME": self.server.server_name,
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH") or "_" in name:
                continue  # underscores could spoof a dashed header
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        """The status line, headers and body in one write, always with Content-Length."""
        code = int(status[:3])
        kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        if self.command == "HEAD":
            given = [v for k, v in headers if k.lower() == "content-length"]
            kept.append(("Content-Length", given[0] if given else str(len(body))))
            body = b""
        elif code in (204, 304) or code < 200:
            body = b""
        else:
            kept.append(("Content-Length", str(len(body))))
        kept.append(("Date", formatdate(usegmt=True)))
        if self.close_connection:
            kept.append(("Connection", "close"))
        head = "".join([f"HTTP/1.1 {status}\r\n", *(f"{k}: {v}\r\n" for k, v in kept), "\r\n"])
        self.wfile.write(head.encode("latin-1") + body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stand-in HTTP %s: " + format, self.address_string(), *args)


def _error_body(status: int, message: str, code: int | None = None) -> bytes:
    """A JSON error body in Twilio's shape (``code`` only where Twilio has one)."""
    body: dict[str, Any] = {"code": code} if code else {}
    return json.dumps({**body, "message": message, "status": status}).encode()


class KeepAliveWSGIServer(ThreadingHTTPServer):
    """Serves a WSGI app; one daemon thread per connection, kept alive between requests."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: WSGIApp, idle_timeout: float = 30.0):
        self.app = app
        self.idle_timeout = idle_timeout
        self.connections_accepted = 0  # for tests: keep-alive means few of these
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, KeepAliveHandler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # HTTPServer's would resolve the host name (getfqdn)
        host, port = self.server_address[:2]
        self.server_name = host.decode() if isinstance(host, bytes) else str(host)
        self.server_port = port

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections_accepted += 1
        with self._lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client gone away is no error
            log.exception("stand-in HTTP: connection from %s failed", client_address)

    def server_close(self) -> None:
        """Close the listening socket and end kept-alive connections (their threads exit)."""
        super().server_close()
        with self._lock:
            open_now = list(self._open)
        for sock in open_now:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
