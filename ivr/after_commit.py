"""Work an IVR webhook does once its transaction has committed: the hand-off to the
workflow, SMS delivery, call-back scheduling. None of it may fail or delay the call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from core.runtime import Runtime
from workflows.handoff import hand_off

log = logging.getLogger(__name__)

#: What the IVR tells the workflow: an intake's outcome, or that the intake call ended
#: (``intake_call_ended``: a call-back held while the patient was still on it may go).
HANDOFF_EVENTS = {"intake_complete", "emergency", "abandoned", "intake_call_ended"}

_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ivr-after-commit")
_PENDING: set[Future[None]] = set()
_PENDING_LOCK = threading.Lock()


def settle(timeout: float = 30.0) -> None:
    """Wait for the after-commit actions already started (tests, orderly shutdown)."""
    with _PENDING_LOCK:
        pending = list(_PENDING)
    wait(pending, timeout=timeout)


@dataclass
class After:
    """Actions to run once the transaction has committed (hand-off, SMS, call-back).

    They run on a small background pool so the caller never waits on Redis: when
    Redis is slow or down, the TwiML has already gone back; the database holds
    everything and the workflow's sweeper re-drives what did not get enqueued.
    ``inline`` runs them in the calling thread (the recovery sweeper).
    """

    actions: list[Callable[[], object]] = field(default_factory=list)
    inline: bool = False

    def hand_off(self, runtime: Runtime, consultation_id: int | None, event: str) -> None:
        if consultation_id is not None and event in HANDOFF_EVENTS:
            self.actions.append(lambda: hand_off(runtime, consultation_id, event))

    def run(self) -> None:
        if not self.actions:
            return
        if self.inline:
            self._run_all()
            return
        future = _BACKGROUND.submit(self._run_all)
        with _PENDING_LOCK:
            _PENDING.add(future)
        future.add_done_callback(_forget)

    def _run_all(self) -> None:
        for action in self.actions:
            try:
                action()
            except Exception:  # after the commit nothing may fail the call
                log.exception("after-commit action failed")


def _forget(future: Future[None]) -> None:
    with _PENDING_LOCK:
        _PENDING.discard(future)
