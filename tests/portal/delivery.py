"""Driving a prescription's SMS to "delivered" for the browser test.

Through the local Twilio stand-in: an RQ worker (in-process, burst) runs the
queued ``deliver_pending`` jobs, whose gateway talks to the stand-in's REST API;
the stand-in then posts its signed status callbacks (``sent``, ``delivered``) over
HTTP to the live server's ``/sms/status``. ``post_signed_status`` plays Twilio by
hand (a signed callback), for tests that need a status the stand-in would not send.
"""

from __future__ import annotations

import requests
from rq import SimpleWorker
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from core.runtime import Runtime, install_process_runtime
from models import ServiceNumber, SmsMessage
from outbound.sms import SMS_QUEUE, status_callback_url
from standin import StandIn, VirtualClock


def post_signed_status(runtime: Runtime, sms: SmsMessage, sid: str, status: str) -> None:
    """POST one status callback exactly as Twilio signs it."""
    url = status_callback_url(runtime, sms.id)
    params = {
        "AccountSid": runtime.settings.twilio_account_sid,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": sms.to_number,
        "From": sms.from_number or "",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(runtime.settings.twilio_auth_token).compute_signature(url, params)
    response = requests.post(
        url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
    )
    response.raise_for_status()


def deliver_through_standin(runtime: Runtime) -> list[dict[str, str]]:
    """Send every queued SMS through the stand-in and let it report them delivered.

    ``runtime`` is the live server's (its public URL is where the callbacks go).
    Returns the stand-in's messages (as Twilio JSON) for assertions.
    """
    settings = runtime.settings
    standin = StandIn(settings.twilio_account_sid, settings.twilio_auth_token, VirtualClock())
    base_url = standin.start()
    with runtime.db.session() as s:
        for number in s.scalars(select(ServiceNumber.number)):
            standin.add_number(number)
    worker_runtime = Runtime(settings.with_overrides(twilio_api_base_url=base_url), runtime.db)
    install_process_runtime(worker_runtime)
    try:
        worker = SimpleWorker([worker_runtime.queue(SMS_QUEUE)], connection=worker_runtime.redis)
        worker.work(burst=True)
        standin.run_until_idle()
        return [dict(standin.messages[sid]) for sid in standin.messages]
    finally:
        install_process_runtime(None)
        standin.stop()
