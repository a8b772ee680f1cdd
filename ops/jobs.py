"""The operations' RQ jobs (the workflow's own are in ``workflows/jobs.py``)."""

from __future__ import annotations

from core.runtime import process_runtime
from ops import sweeper


def sweep() -> dict[str, int]:
    """The sweeper (an RQ cron job every minute)."""
    return sweeper.sweep(process_runtime())
