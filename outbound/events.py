"""What outbound asks of, and reports to, the code that owns a leg: registered, not imported.

Outbound sits below the workflow and never imports it. The workflow registers (in
``sampark/wiring.py``) the two things only it knows:

* ``describe``: at a leg's claim, the gateway request that places it, or None when the
  consultation no longer wants it (the leg is then cancelled unsent);
* ``ended``: a leg that ended without a call (refused by the provider, a busy line)
  goes back as a status event, exactly what the leg's status callback would have said.

A leg's later statuses come the ordinary way: the provider's status callback, on the URL
``describe`` put in the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.runtime import Runtime
from models import CallLeg
from models.telephony import LegStatus

#: The request that places ``leg`` (``kind``: ``call`` or ``participant``), or None.
Describe = Callable[[Runtime, Session, CallLeg], "dict[str, object] | None"]


@dataclass(frozen=True)
class LegEnded:
    """A leg ended by outbound itself: the status event its callback would have carried."""

    leg_id: int
    consultation_id: int
    status: LegStatus
    error_code: int
    error_message: str


Ended = Callable[[Runtime, LegEnded], None]
_describe: list[Describe] = []
_ended: list[Ended] = []


def register(*, describe: Describe, ended: Ended) -> None:
    """Install the leg owner's handlers (again: replaces them)."""
    _describe[:] = [describe]
    _ended[:] = [ended]


def describe(runtime: Runtime, session: Session, leg: CallLeg) -> dict[str, object] | None:
    """The registered owner's request for ``leg`` (None: no longer wanted)."""
    if not _describe:
        raise RuntimeError("outbound has no leg owner: call sampark.wiring.wire() first")
    return _describe[0](runtime, session, leg)


def report(runtime: Runtime, event: LegEnded) -> None:
    """Hand a leg's end to its owner, as its status callback would."""
    if not _ended:
        raise RuntimeError("outbound has no leg owner: call sampark.wiring.wire() first")
    _ended[0](runtime, event)
