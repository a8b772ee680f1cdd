"""Twilio's SMS delivery reports: ``POST /sms/status``.

Each callback applies a message's status (forward only: duplicate and out-of-order
callbacks change nothing) and, when a message ends undelivered or failed, starts the
re-send or the fallback after the commit. The callback URL carries the message's id
(``outbound.sms_delivery.status_callback_url``), which finds a message whose callback
overtook the API response that carries its MessageSid. The webhook verifies Twilio's
signature and always answers valid, empty TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from core.inputs import parse_dbid
from core.runtime import Runtime, current_runtime
from models import SmsMessage
from outbound.sms_delivery import run_followup
from outbound.sms_status import FAILED_STATUSES, Followup, advance, after_failure
from telephony.webhooks import twilio_webhook

log = logging.getLogger(__name__)
bp = Blueprint("sms_status", __name__)


def _error_code(raw: str | None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() else None


def record_status(
    runtime: Runtime,
    *,
    message_sid: str,
    status: str,
    error_code: int | None = None,
    sms_id: int | None = None,
) -> bool:
    """Apply one status callback; start the re-send or fallback after the commit.

    ``sms_id`` (from the callback URL) finds a message whose callback overtook the
    API response carrying its MessageSid. Returns whether the status moved forward.
    """
    followup: Followup | None = None
    with runtime.db.session() as session:
        sms = session.scalar(
            select(SmsMessage).where(SmsMessage.provider_sid == message_sid).with_for_update()
        )
        if sms is None and sms_id is not None:
            sms = session.get(SmsMessage, sms_id, with_for_update=True)
            if sms is not None and sms.provider_sid not in (None, message_sid):
                sms = None
            elif sms is not None:
                sms.provider_sid = message_sid
        if sms is None:
            log.warning(
                "status callback for an unknown message",
                extra={"message_sid": message_sid, "status": status},
            )
            return False
        moved = advance(sms, status, error_code=error_code)
        log.info(
            "sms status",
            extra={"sms_id": sms.id, "status": status, "applied": moved, "code": error_code},
        )
        if moved and status in FAILED_STATUSES:
            followup = after_failure(session, sms)
    if followup is not None:
        run_followup(runtime, followup)
    return moved


@bp.post("/sms/status")
@twilio_webhook
def sms_status() -> Response:
    """Twilio's message status callback."""
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    try:
        if sid and status:
            record_status(
                current_runtime(),
                message_sid=sid,
                status=status,
                error_code=_error_code(form.get("ErrorCode")),
                sms_id=parse_dbid(request.args.get("sms")),
            )
    except Exception:
        log.exception("could not record an SMS status", extra={"message_sid": sid})
    return Response(str(MessagingResponse()), mimetype="text/xml")
