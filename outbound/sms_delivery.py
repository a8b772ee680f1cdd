"""Sending outbound SMS: the worker's side of ``outbound.sms``.

``enqueue_delivery`` (after the commit that wrote the row) puts ``deliver_pending`` on the
``<prefix>-sms`` RQ queue. The job claims a ``pending`` row (``submitting``: one worker
only), sends it through ``TelephonyGateway.send_sms`` with a status callback to
``/sms/status``, and stores the MessageSid (``queued``). A retryable gateway error leaves the
row ``pending`` and re-raises so that RQ retries (``sms.send_retry_intervals``); a permanent
one fails the row and runs the follow-up (``outbound.sms_status.after_failure``, then
``run_followup``: one re-send, then the fallback). ``sender_for`` decides what goes in
Twilio's ``From`` (``sms.yaml`` ``sender``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rq import Retry, get_current_job

from core.runtime import Runtime, process_runtime
from core.timeutil import utcnow
from models import SmsMessage, SmsStatus
from outbound.sms_fallback import run_undeliverable
from outbound.sms_status import SMS_QUEUE, Followup, advance, after_failure
from sms_templates.config import load_config
from telephony.errors import GatewayError
from telephony.gateway import TelephonyGateway

log = logging.getLogger(__name__)


def status_callback_url(runtime: Runtime, sms_id: int) -> str:
    """Where Twilio reports this message's statuses (the id helps when the callback
    overtakes the API response that carries the MessageSid)."""
    return f"{runtime.settings.public_base_url.rstrip('/')}/sms/status?sms={sms_id}"


def deliver_pending(sms_id: int | Runtime, maybe_id: int | None = None) -> str:
    """RQ job: send one pending SMS. Returns its status afterwards.

    Called by RQ as ``deliver_pending(sms_id)`` (the runtime is this worker's
    ``process_runtime()``), or directly as ``deliver_pending(runtime, sms_id)``.
    """
    if isinstance(sms_id, Runtime):
        assert maybe_id is not None
        return deliver(sms_id, maybe_id)
    return deliver(process_runtime(), sms_id)


@dataclass(frozen=True)
class _Claimed:
    to: str
    from_: str
    body: str


def _claim(runtime: Runtime, sms_id: int) -> _Claimed | str:
    """Move the row from pending to submitting (one worker only); else its status."""
    with runtime.db.session() as session:
        sms = session.get(SmsMessage, sms_id, with_for_update=True)
        if sms is None:
            return "missing"
        if sms.status != SmsStatus.PENDING:
            return sms.status
        sms.status = SmsStatus.SUBMITTING
        sender = sender_for(runtime, sms.from_number)
        if not sender.startswith("MG"):  # a Messaging Service SID does not fit the column
            sms.from_number = sender
        return _Claimed(sms.to_number, sender, sms.body)


def sender_for(runtime: Runtime, number: str | None) -> str:
    """What goes in Twilio's ``From`` (``sms.yaml`` ``sender``), the caller-ID rule's
    first step included (``outbound.caller_id``).

    Modes:

    - ``auto`` (default): the configured outbound number (``OUTBOUND_CALLER_ID``) when
      set: an international long code, the one sender Twilio accepts for India (its
      recipient sees a random 5NNNN sender); else the DLT header when talking to Twilio
      itself, else ``number``;
    - ``number``: the configured outbound number when set, else ``number``, the number
      stored with the message (the dial-in line, or the line an RX query was sent to);
    - ``header``: always the DLT-registered sender ID (a domestic DLT route; Twilio
      refuses it for India with 21612);
    - a Messaging Service SID (``MG...``): the service picks its own sender.
    """
    cfg = load_config()
    mode = cfg.sender
    if mode.startswith("MG"):
        return mode
    if mode == "header":
        return cfg.dlt_header
    configured = runtime.settings.outbound_caller_id
    if configured:
        return configured
    if mode == "auto" and runtime.settings.talks_to_real_twilio:
        return cfg.dlt_header
    return number or cfg.dlt_header


def deliver(runtime: Runtime, sms_id: int) -> str:
    """Send SMS ``sms_id`` through the gateway if it is still pending; see ``deliver_pending``."""
    claimed = _claim(runtime, sms_id)
    if isinstance(claimed, str):
        log.info("sms not sent: not pending", extra={"sms_id": sms_id, "status": claimed})
        return claimed
    try:
        sid = TelephonyGateway.for_runtime(runtime).send_sms(
            to=claimed.to,
            from_=claimed.from_,
            body=claimed.body,
            status_callback=status_callback_url(runtime, sms_id),
        )
    except GatewayError as exc:
        return _send_failed(runtime, sms_id, exc)
    with runtime.db.session() as session:
        sms = session.get(SmsMessage, sms_id, with_for_update=True)
        assert sms is not None
        if sms.provider_sid is None:
            sms.provider_sid = sid
        sms.sent_at = sms.sent_at or utcnow()
        advance(sms, SmsStatus.QUEUED)
        return sms.status


def _send_failed(runtime: Runtime, sms_id: int, exc: GatewayError) -> str:
    job = get_current_job()
    will_retry = exc.retryable and job is not None and bool(job.retries_left)
    followup: Followup | None = None
    with runtime.db.session() as session:
        sms = session.get(SmsMessage, sms_id, with_for_update=True)
        assert sms is not None
        sms.error_code = exc.code
        if exc.retryable and (will_retry or job is None):
            sms.status = SmsStatus.PENDING  # RQ (or the caller) tries again
        else:
            sms.status = SmsStatus.FAILED
            followup = after_failure(session, sms, resend=exc.retryable)
        status = sms.status
    log.warning(
        "sms send failed",
        extra={"sms_id": sms_id, "code": exc.code, "retryable": exc.retryable, "status": status},
    )
    if followup is not None:
        run_followup(runtime, followup)
    if status == SmsStatus.PENDING:
        raise exc  # RQ re-runs the job after its retry interval
    return status


def enqueue_delivery(runtime: Runtime, sms_id: int, *, delay_seconds: int = 0) -> bool:
    """Put the send of ``sms_id`` on the SMS queue (after the commit). Never raises.

    Returns False when Redis could not take the job: the row stays ``pending`` and
    ``redrive_pending`` (or the next enqueue) sends it.
    """
    intervals = load_config().send_retry_intervals
    try:
        queue = runtime.queue(SMS_QUEUE)
        options: dict[str, Any] = {
            "retry": Retry(max=len(intervals), interval=intervals) if intervals else None,
            "job_timeout": 60,
            "description": f"sms {sms_id}",
        }
        if delay_seconds > 0:
            queue.enqueue_in(timedelta(seconds=delay_seconds), deliver_pending, sms_id, **options)
        else:
            queue.enqueue(deliver_pending, sms_id, **options)
        return True
    except Exception as exc:
        log.error(
            "could not enqueue an SMS; it stays pending",
            extra={"sms_id": sms_id, "error": repr(exc)},
        )
        return False


def run_followup(runtime: Runtime, followup: Followup) -> None:
    """After the commit: enqueue the re-send, or the fallback job (run here if Redis fails)."""
    if followup.resend_id is not None:
        enqueue_delivery(
            runtime, followup.resend_id, delay_seconds=load_config().retry_delay_seconds
        )
    if followup.fallback_id is not None:
        try:
            runtime.queue(SMS_QUEUE).enqueue(
                run_undeliverable, followup.fallback_id, job_timeout=120
            )
        except Exception as exc:
            log.error(
                "could not enqueue the SMS fallback; running it here",
                extra={"sms_id": followup.fallback_id, "error": repr(exc)},
            )
            run_undeliverable(followup.fallback_id, runtime=runtime)


__all__ = [
    "deliver",
    "deliver_pending",
    "enqueue_delivery",
    "run_followup",
    "sender_for",
    "status_callback_url",
]
