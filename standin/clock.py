"""Clocks for the stand-in: a virtual clock for tests and a real one for the demo.

Both keep one scheduler: a heap of ``(due_time, seq, callback)``; events due at the same time
run in the order they were scheduled, so a run is deterministic.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)
Callback = Callable[[], None]


class _Scheduler:
    """The event heap shared by both clocks."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, Callback]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self.on_error: Callable[[BaseException], None] | None = None

    def _push(self, due: float, callback: Callback, key: str) -> None:
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._seq), key, callback))
            self._cond.notify_all()

    def _pop_due(self, until: float) -> tuple[float, Callback] | None:
        with self._cond:
            if self._heap and self._heap[0][0] <= until:
                due, _, _, callback = heapq.heappop(self._heap)
                return due, callback
            return None

    def next_due(self) -> float | None:
        """Monotonic due time of the next event, or None when idle."""
        with self._cond:
            return self._heap[0][0] if self._heap else None

    def pending(self) -> int:
        """How many events are scheduled."""
        with self._cond:
            return len(self._heap)

    def _run(self, callback: Callback) -> None:
        try:
            callback()
        except Exception as exc:  # an engine bug must not stop the clock
            log.exception("stand-in event failed")
            if self.on_error is not None:
                self.on_error(exc)


class VirtualClock(_Scheduler):
    """Time that moves only when the caller runs events (``advance`` / ``run_until_idle``).

    A 45-second Gather timeout costs no wall time: the clock jumps to the next event.
    """

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self._epoch = (start or datetime.now(UTC)).replace(microsecond=0)
        self._t = 0.0
        self._run_lock = threading.RLock()

    def seconds(self) -> float:
        """Seconds since the clock started."""
        return self._t

    def now(self) -> datetime:
        """The virtual wall time (aware UTC)."""
        return self._epoch + timedelta(seconds=self._t)

    def schedule(self, delay: float, callback: Callback, key: str = "") -> None:
        """Run ``callback`` ``delay`` virtual seconds from now (``key``: see RealClock)."""
        self._push(self._t + max(0.0, delay), callback, key)

    def advance(self, seconds: float) -> int:
        """Run every event due in the next ``seconds``; the clock ends exactly that far on."""
        with self._run_lock:
            until = self._t + seconds
            ran = 0
            while (item := self._pop_due(until)) is not None:
                due, callback = item
                self._t = max(self._t, due)
                self._run(callback)
                ran += 1
            self._t = until
            return ran

    def run_until_idle(self, max_virtual_seconds: float = 3600.0) -> int:
        """Run events until none is left, or ``max_virtual_seconds`` have passed."""
        with self._run_lock:
            until = self._t + max_virtual_seconds
            ran = 0
            while (item := self._pop_due(until)) is not None:
                due, callback = item
                self._t = max(self._t, due)
                self._run(callback)
                ran += 1
            return ran

    def start(self) -> None:
        """Nothing to start: the caller drives a virtual clock."""

    def stop(self) -> None:
        """Nothing to stop."""


class RealClock(_Scheduler):
    """Real time: a background thread hands each event to a pool of ``workers`` threads when
    it falls due. Events with the same ``key`` (the engine uses the call, conference or
    message SID) run one after another in order; different keys run at the same time, so one
    slow webhook does not hold up the other calls. ``workers=1`` runs everything in order.
    """

    def __init__(self, workers: int = 8) -> None:
        super().__init__()
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._queues: dict[str, deque[Callback]] = {}
        self._qlock = threading.Lock()
        self._t0 = time.monotonic()
        self._wall0 = datetime.now(UTC)
        self._thread: threading.Thread | None = None
        self._stopping = False

    def seconds(self) -> float:
        """Seconds since the clock started."""
        return time.monotonic() - self._t0

    def now(self) -> datetime:
        """The current wall time (aware UTC)."""
        return self._wall0 + timedelta(seconds=self.seconds())

    def schedule(self, delay: float, callback: Callback, key: str = "") -> None:
        """Run ``callback`` ``delay`` seconds from now, after earlier events of ``key``."""
        self.start()
        self._push(self.seconds() + max(0.0, delay), callback, key)

    def pending(self) -> int:
        """Events scheduled or running."""
        with self._qlock:
            running = sum(len(q) + 1 for q in self._queues.values())
        return super().pending() + running

    def _dispatch(self, pool: ThreadPoolExecutor, key: str, callback: Callback) -> None:
        with self._qlock:
            queue = self._queues.get(key)
            if queue is not None:  # a worker is running this key: it will take it next
                queue.append(callback)
                return
            self._queues[key] = deque()
        try:
            pool.submit(self._drain, key, callback)
        except RuntimeError:  # stopped meanwhile: run it here
            self._drain(key, callback)

    def _drain(self, key: str, callback: Callback) -> None:
        while True:
            self._run(callback)
            with self._qlock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                callback = queue.popleft()

    def start(self) -> None:
        """Start the event thread (idempotent)."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            if self._workers > 1 and self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, "standin-event")
            self._thread = threading.Thread(target=self._loop, name="standin-clock", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the event thread; pending events are kept."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
            pool, self._pool = self._pool, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if pool is not None:
            pool.shutdown(wait=False)

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                due = self._heap[0][0] if self._heap else None
                wait = None if due is None else due - self.seconds()
                if wait is None or wait > 0:
                    self._cond.wait(timeout=wait if wait is not None else 1.0)
                    continue
                _, _, key, callback = heapq.heappop(self._heap)
                pool = self._pool
            if pool is not None:
                self._dispatch(pool, key, callback)
            else:
                self._run(callback)

    def advance(self, seconds: float) -> int:
        """Wait ``seconds`` of real time while the thread runs events."""
        time.sleep(seconds)
        return 0

    def run_until_idle(self, max_virtual_seconds: float = 3600.0) -> int:
        """Wait until no event is due within ``max_virtual_seconds`` from the call (real
        seconds: use short horizons with a real clock)."""
        horizon = self.seconds() + max_virtual_seconds
        while True:
            due = self.next_due()
            with self._qlock:
                busy = bool(self._queues)
            if not busy and (due is None or due > horizon or self.seconds() > horizon):
                return 0
            time.sleep(0.01)


Clock = VirtualClock | RealClock
