"""Whether a worker's leg sender may still be sending: a driver's second idleness signal."""

from __future__ import annotations

import time

from sqlalchemy import text

from core.runtime import Runtime

#: A claimed leg with no CallSid counts as being sent for this long (real seconds) after
#: it is first seen: one a killed worker left ``dialing`` must not hold a driver forever.
SENDING_GRACE_S = 2.0
_UNSENT = text("SELECT id FROM call_legs WHERE status = 'dialing' AND call_sid IS NULL")


class LegsBeingSent:
    """Legs claimed by a job and not yet answered by Twilio (the sender sends after the job)."""

    def __init__(self) -> None:
        self.first_seen: dict[int, float] = {}  # leg id -> when first seen (monotonic)

    def __call__(self, runtime: Runtime) -> bool:
        with runtime.db.engine.connect() as conn:
            ids = conn.scalars(_UNSENT).all()
        now = time.monotonic()
        self.first_seen = {i: self.first_seen.get(i, now) for i in ids}
        return any(now - seen < SENDING_GRACE_S for seen in self.first_seen.values())
