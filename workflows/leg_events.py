"""A leg that outbound ended itself comes back as the event its status callback carries.

Outbound (``outbound/legs.py``) ends a leg the provider refused, or one whose number is on
another of our calls, without any callback; ``leg_ended`` (registered in
``sampark/wiring.py``) runs the very step the leg status webhook runs, then its effects.
"""

from __future__ import annotations

from core.runtime import Runtime
from outbound.events import LegEnded
from workflows import effects, engine


def leg_ended(runtime: Runtime, event: LegEnded) -> None:
    """Drive the leg's consultation on through the ``leg_status`` step."""
    fx = engine.advance(
        runtime,
        event.consultation_id,
        "leg_status",
        leg_id=event.leg_id,
        status=str(event.status),
        error_code=event.error_code,
        error_message=event.error_message,
    )
    effects.apply(runtime, fx, inline=True)
