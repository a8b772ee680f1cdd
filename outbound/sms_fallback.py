"""What happens when an SMS cannot be delivered: handlers registered by purpose, in code.

After an SMS and its one re-send both end undelivered or failed (or Twilio refuses a
send outright), ``outbound.sms_delivery.run_followup`` enqueues ``run_undeliverable(sms_id)``,
which calls ``on_sms_undeliverable(runtime, sms)``: every handler registered for the
message's purpose, then those for ``"*"``.

The owner of a purpose registers its handler in the composition module
(``sampark/wiring.py``), so this layer never names a higher one::

    register_undeliverable_handler("prescription_patient", on_prescription_sms_undeliverable)

A handler is ``fn(runtime, sms)``, runs in an RQ worker (or in the web process when Redis
cannot take the job), must be idempotent (the read-aloud call uses a unique CallLeg
purpose), and its exceptions are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from core.runtime import Runtime, process_runtime
from models import SmsMessage
from telephony.errors import mask_number

log = logging.getLogger(__name__)

UndeliverableHandler = Callable[[Runtime, SmsMessage], Any]
_HANDLERS: dict[str, list[UndeliverableHandler]] = {}


def register_undeliverable_handler(purpose: str, handler: UndeliverableHandler) -> None:
    """Call ``handler(runtime, sms)`` when an SMS of ``purpose`` ("*": any) cannot be delivered."""
    handlers = _HANDLERS.setdefault(purpose, [])
    if handler not in handlers:
        handlers.append(handler)


def unregister_undeliverable_handler(purpose: str, handler: UndeliverableHandler) -> None:
    """Remove a handler registered with ``register_undeliverable_handler``."""
    if handler in _HANDLERS.get(purpose, []):
        _HANDLERS[purpose].remove(handler)


def undeliverable_handlers(purpose: str) -> list[UndeliverableHandler]:
    """The handlers that run for an undeliverable SMS of ``purpose``."""
    return [*_HANDLERS.get(purpose, []), *_HANDLERS.get("*", [])]


def on_sms_undeliverable(runtime: Runtime, sms: SmsMessage) -> int:
    """Run every handler for ``sms.purpose``; returns how many ran without error."""
    ran = 0
    for handler in undeliverable_handlers(sms.purpose):
        try:
            handler(runtime, sms)
            ran += 1
        except Exception:
            log.exception(
                "SMS fallback handler failed",
                extra={"sms_id": sms.id, "purpose": sms.purpose, "handler": repr(handler)},
            )
    if ran == 0:
        log.warning(
            "SMS undeliverable and no fallback ran",
            extra={"sms_id": sms.id, "purpose": sms.purpose, "to": mask_number(sms.to_number)},
        )
    return ran


def run_undeliverable(sms_id: int, runtime: Runtime | None = None) -> int:
    """RQ job: run the fallback for SMS ``sms_id``."""
    runtime = runtime or process_runtime()
    with runtime.db.session() as session:
        sms = session.get(SmsMessage, sms_id)
        if sms is None:
            return 0
        session.expunge(sms)
    return on_sms_undeliverable(runtime, sms)
