"""A small TCP proxy in front of PostgreSQL or Redis that the harness can cut and restore.

The product's processes connect through it. ``cut()`` closes every connection it carries
and refuses new ones (accepted, then closed at once: the client sees the server go away,
as when a database host reboots); ``restore()`` lets connections through again.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading

log = logging.getLogger(__name__)
BUFFER = 65536


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``; one thread per connection pair.

    Attributes:
        name: for the report ("postgresql", "redis").
        port: where clients connect (chosen free at ``start``).
        cuts: how many times ``cut`` was called.
        refused: connections refused while cut.
    """

    def __init__(self, name: str, target_host: str, target_port: int) -> None:
        self.name = name
        self.target = (target_host, target_port)
        self.port = 0
        self.cuts = 0
        self.refused = 0
        self._down = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def is_cut(self) -> bool:
        return self._down.is_set()

    def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(512)
        server.settimeout(0.2)
        self._server = server
        self.port = server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name=f"proxy-{self.name}", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stop.set()
        self._close_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._server is not None:
            self._server.close()

    def cut(self) -> int:
        """Drop every open connection and refuse new ones; returns how many were dropped."""
        self.cuts += 1
        self._down.set()
        return self._close_all()

    def restore(self) -> None:
        self._down.clear()

    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def _close_all(self) -> int:
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for a, b in pairs:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
        return len(pairs)

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._down.is_set():
                self.refused += 1
                with contextlib.suppress(OSError):
                    client.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError as exc:
                log.warning("proxy %s: upstream unreachable: %r", self.name, exc)
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        client, upstream = pair
        sel = selectors.DefaultSelector()
        try:
            sel.register(client, selectors.EVENT_READ, upstream)
            sel.register(upstream, selectors.EVENT_READ, client)
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.5):
                    data = key.fileobj.recv(BUFFER)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            sel.close()
            with self._lock:
                self._pairs.discard(pair)
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.close()
