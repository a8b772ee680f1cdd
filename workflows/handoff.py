"""The hand-off from webhooks to the workflow: enqueue after commit, never block on Redis."""

from __future__ import annotations

import logging

from core.runtime import Runtime
from workflows.jobs import advance

log = logging.getLogger(__name__)


def hand_off(runtime: Runtime, consultation_id: int, event: str) -> bool:
    """Enqueue the workflow step for ``event`` on a committed consultation.

    Returns False (and logs) when Redis cannot take the job: the database already
    holds the consultation, and the sweeper re-drives it from there.
    """
    try:
        runtime.queue("workflow").enqueue(advance, consultation_id, event, job_timeout=60)
        return True
    except Exception as exc:
        log.error(
            "hand-off to the workflow failed; the sweeper will re-drive it",
            extra={"consultation_id": consultation_id, "event": event, "error": repr(exc)},
        )
        return False
