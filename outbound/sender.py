"""The leg sender: a worker process's small pool of threads that send claimed legs' requests.

A worker's step commits the legs it creates as ``dialing`` (claimed, ``outbound/legs.py``
rule 2); the Twilio request of each is then sent here, off the RQ job's thread, so the job
ends as soon as its step has committed and its timers are armed. Each send is exactly the
inline one (``legs.send_claimed``): a retryable error releases the claim and queues a
retried ``place_leg`` job, a permanent one ends the leg and moves the workflow on.

The backlog is bounded: ``submit`` blocks the job's thread while ``backlog`` legs are
waiting or being sent, so a worker killed outright leaves at most that many claimed legs
unsent; rule 5 covers them (never placed again, ``lost`` at the state's deadline).

``sampark worker --simple`` runs one in a child process (``outbound/sender_process.py``,
installed in the worker as a ``Sender``) and drains it before it exits; everywhere else
(webhooks, the forking worker, the simulator's in-process worker) ``effects.apply`` sends
inline.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from core.runtime import Runtime
from outbound import legs

log = logging.getLogger(__name__)
#: Sender threads of a simple worker unless ``SAMPARK_SEND_THREADS`` says otherwise.
DEFAULT_THREADS = 4

_Task = tuple[Runtime, int, dict[str, Any], Callable[[], None] | None]


class LegSender:
    """Sends claimed legs on ``threads`` threads, at most ``backlog`` outstanding.

    Args:
        threads: sending threads (at least 1), started on the first ``submit``.
        backlog: legs waiting or being sent before ``submit`` blocks (default 2 x threads).
    """

    def __init__(self, threads: int = DEFAULT_THREADS, backlog: int | None = None) -> None:
        if threads < 1:
            raise ValueError("a leg sender needs at least one thread (0 means: send inline)")
        self.threads = threads
        self.backlog = max(1, backlog if backlog is not None else 2 * threads)
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # a task is waiting, or closing
        self._done = threading.Condition(self._lock)  # a task has ended
        self._tasks: deque[_Task] = deque()
        self._pending = 0  # submitted and not yet ended
        self._closed = False
        self._pool: list[threading.Thread] = []
        self._mine = threading.local()

    @property
    def pending(self) -> int:
        """Legs submitted whose send has not ended yet."""
        with self._lock:
            return self._pending

    def submit(
        self,
        runtime: Runtime,
        leg_id: int,
        request: dict[str, Any],
        then: Callable[[], None] | None = None,
    ) -> None:
        """Send claimed leg ``leg_id`` on a sender thread; blocks while the backlog is full.

        From a sender thread itself (a send's own follow-up) or after ``close``, the leg
        is sent inline: a thread never waits for room it would have to make itself.
        ``then`` is called once the send has ended, whatever its outcome.
        """
        with self._lock:
            inline = self._closed or getattr(self._mine, "sender", False)
            if not inline:
                while self._pending >= self.backlog:
                    self._done.wait()
                self._pending += 1
                self._tasks.append((runtime, leg_id, request, then))
                self._start_threads()
                self._work.notify()
        if inline:
            try:
                self._send(runtime, leg_id, request)
            finally:
                if then is not None:
                    then()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every leg submitted so far has been sent (or ``timeout`` seconds).

        Returns:
            Whether nothing is left in flight.
        """
        with self._lock:
            return self._done.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Drain (up to ``timeout`` seconds), then stop the threads.

        Returns:
            Whether every submitted leg was sent; legs still in flight are logged.
        """
        drained = self.drain(timeout)
        with self._lock:
            self._closed = True
            left = self._pending
            self._work.notify_all()
        if not drained:
            log.error(
                "leg sender closed with sends in flight; unsent legs end as lost",
                extra={"legs": left},
            )
        for thread in self._pool:
            thread.join(timeout=0 if not drained else 5.0)
        return drained

    def _start_threads(self) -> None:
        """Start the pool (lazily: a process that never sends has no threads)."""
        while len(self._pool) < self.threads:
            thread = threading.Thread(
                target=self._run, name=f"leg-sender-{len(self._pool) + 1}", daemon=True
            )
            self._pool.append(thread)
            thread.start()

    def _run(self) -> None:
        self._mine.sender = True
        while True:
            with self._lock:
                self._work.wait_for(lambda: bool(self._tasks) or self._closed)
                if not self._tasks:
                    return
                runtime, leg_id, request, then = self._tasks.popleft()
            try:
                self._send(runtime, leg_id, request)
            finally:
                if then is not None:
                    then()
                with self._lock:
                    self._pending -= 1
                    self._done.notify_all()

    @staticmethod
    def _send(runtime: Runtime, leg_id: int, request: dict[str, Any]) -> None:
        try:
            legs.send_claimed(runtime, leg_id, request)
        except Exception as exc:  # never kills the thread; the leg's deadline catches up
            log.error("sending a claimed leg failed", extra={"leg_id": leg_id, "error": repr(exc)})


class Sender(Protocol):
    """What ``effects.apply`` needs of a leg sender (threads here, or a process)."""

    def submit(self, runtime: Runtime, leg_id: int, request: dict[str, Any]) -> None: ...


_installed: Sender | None = None


def install(sender: Sender | None) -> None:
    """Make ``sender`` this process's leg sender (None: send inline again)."""
    global _installed
    _installed = sender


def installed() -> Sender | None:
    """This process's leg sender, if a simple worker installed one."""
    return _installed
