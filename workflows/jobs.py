"""The workflow's RQ jobs, by the names the rest of the product uses.

Queue ``<prefix>-workflow``. ``advance`` (drive one consultation on after an event: the
hand-off, a deadline's timer) and ``dispatch`` (one doctor-queue pass) are defined in
``workflows/effects.py``, beside the effects that arm them again (one module, so each is
enqueued by its function object without an import cycle). Every job is safe to run twice
or late: the steps are level-triggered on the locked row, and legs are claimed once per
purpose. Placing a leg, redirecting or ending a call are outbound's jobs
(``outbound/legs.py``, ``outbound/calls.py``); the sweeper's is the operations'
(``ops/jobs.py``).
"""

from __future__ import annotations

from workflows.effects import advance, dispatch

__all__ = ["advance", "dispatch", "noop"]


def noop() -> None:
    """Does nothing: RQ's own cost per job, the benchmark's floor."""
