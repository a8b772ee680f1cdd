"""The leg sender in a process of its own, beside a simple worker.

A simple worker's jobs and its leg sender's threads (``outbound/sender.py``) share one
interpreter lock: each Twilio request built on a sender thread holds up the next job,
and each database or Redis round trip of a job hands the lock to a sender thread that
the job must then wait for. ``SenderProcess`` moves the threads into a child forked
when the worker starts, so the worker's jobs and the sends run on separate cores. The
job's thread hands a claimed leg over a pipe and goes on.

What a job may rely on is unchanged:

* **Bounded**: at most ``backlog`` legs are handed over and not yet sent (a semaphore
  the child releases when a send has ended); ``submit`` blocks beyond that. A worker
  killed outright leaves at most that many claimed legs unsent; the child, seeing the
  pipe close, still sends those it holds. Rule 5 of ``outbound/legs.py`` covers the
  rest: never placed again, ``lost`` at the state's deadline.
* **Drained on exit**: ``close`` hands over an end marker and waits for the child to
  send everything and exit.
* **A dead child is replaced**: ``submit`` notices (its slot does not come back, or the
  pipe is broken), logs it and forks a new one; the dead child's unsent legs are lost
  as above, the leg in hand is never dropped.

The child ignores SIGINT and SIGTERM: the worker's warm shutdown decides when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
import weakref
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from core.runtime import Runtime
from outbound import legs
from outbound.sender import DEFAULT_THREADS, LegSender, install

log = logging.getLogger(__name__)
_FORK = multiprocessing.get_context("fork")
#: How often a blocked ``submit`` checks that the child is still alive (seconds).
LIVENESS_S = 1.0
_LIVE: weakref.WeakSet[SenderProcess] = weakref.WeakSet()


def _close_inherited_pipes() -> None:
    """In any process the worker forks later (RQ's scheduler, a replacement sender), close
    the copy of the pipe's write end: the pipe must close when the worker itself dies."""
    for sender in list(_LIVE):
        if sender._writer is not None:
            sender._writer.close()
            sender._writer = None


os.register_at_fork(after_in_child=_close_inherited_pipes)


def _serve(
    runtime: Runtime, pipe: tuple[Connection, Connection], slots: Any, threads: int, backlog: int
) -> None:
    """The child: send each leg handed over on ``threads`` threads, until the end marker
    or until the worker has gone (the pipe closed); then drain and exit."""
    reader, writer = pipe
    writer.close()  # else the pipe never closes when the worker dies
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pool = LegSender(threads, backlog)
    install(pool)  # a send's own follow-up legs are sent here too
    while True:
        try:
            task = reader.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        leg_id, request = task
        pool.submit(runtime, leg_id, request, then=slots.release)
    drained = pool.close()
    os._exit(0 if drained else 1)


class SenderProcess:
    """A ``LegSender`` of ``threads`` threads in a child process (see the module).

    Args:
        runtime: the worker's runtime; the child uses its copy (connections re-opened).
        threads: sending threads in the child (at least 1).
        backlog: legs handed over and not yet sent before ``submit`` blocks
            (default 2 x threads).
    """

    def __init__(
        self, runtime: Runtime, threads: int = DEFAULT_THREADS, backlog: int | None = None
    ) -> None:
        if threads < 1:
            raise ValueError("a leg sender needs at least one thread (0 means: send inline)")
        self.runtime = runtime
        self.threads = threads
        self.backlog = max(1, backlog if backlog is not None else 2 * threads)
        self._owner = os.getpid()
        self._closed = False
        self._proc: BaseProcess | None = None
        self._writer: Connection | None = None
        self._slots: Any = None
        self._start()
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        """The child's process id."""
        return self._proc.pid if self._proc is not None else None

    @property
    def pending(self) -> int:
        """Legs handed over whose send has not ended yet."""
        return self.backlog - int(self._slots.get_value())

    def _start(self) -> None:
        reader, writer = _FORK.Pipe(duplex=False)
        slots = _FORK.BoundedSemaphore(self.backlog)
        proc = _FORK.Process(
            target=_serve,
            args=(self.runtime, (reader, writer), slots, self.threads, self.backlog),
            name="sampark-leg-sender",
            daemon=True,
        )
        proc.start()
        reader.close()
        log.info("leg sender process started", extra={"pid": proc.pid, "threads": self.threads})
        self._proc, self._writer, self._slots = proc, writer, slots

    def _replace(self, why: str) -> None:
        """Fork a new child in place of one that has died (its unsent legs end lost)."""
        assert self._proc is not None
        log.error(
            "leg sender process died; starting another (its unsent legs end as lost)",
            extra={"why": why, "exitcode": self._proc.exitcode, "in_flight": self.pending},
        )
        if self._writer is not None:
            self._writer.close()
        self._proc.join(timeout=1.0)
        self._start()

    def submit(self, runtime: Runtime, leg_id: int, request: dict[str, Any]) -> None:
        """Hand claimed leg ``leg_id`` to the child; blocks while the backlog is full.

        After ``close``, or in a process other than the one that started the child, the
        leg is sent inline.
        """
        if self._closed or os.getpid() != self._owner or self._writer is None:
            self._send_inline(runtime, leg_id, request)
            return
        assert self._proc is not None
        while not self._slots.acquire(timeout=LIVENESS_S):
            if not self._proc.is_alive():
                self._replace("no slot came back")
        try:
            self._writer.send((leg_id, request))
        except (OSError, ValueError) as exc:  # the child is gone: this leg was not read
            self._replace(repr(exc))
            self._send_inline(runtime, leg_id, request)

    @staticmethod
    def _send_inline(runtime: Runtime, leg_id: int, request: dict[str, Any]) -> None:
        legs.send_claimed(runtime, leg_id, request)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every leg handed over so far has been sent (or ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pending:
            if self._proc is None or not self._proc.is_alive():
                return False
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Hand over the end marker and wait (up to ``timeout`` seconds) for the child to
        send everything and exit.

        Returns:
            Whether every leg handed over was sent; otherwise the child is killed and
            its unsent legs are logged (they end as lost at their deadline).
        """
        if self._closed or self._writer is None:
            return True
        self._closed = True
        assert self._proc is not None
        with contextlib.suppress(OSError, ValueError):  # a dead child: nothing to end
            self._writer.send(None)
        self._writer.close()
        self._proc.join(timeout)
        if self._proc.is_alive():
            log.error(
                "leg sender process still sending at exit; unsent legs end as lost",
                extra={"legs": self.pending},
            )
            self._proc.kill()
            self._proc.join(5.0)
            return False
        return self._proc.exitcode == 0
