"""Driving a prescription's SMS to "delivered" for the browser test.

Twilio's side is played by posting the status callbacks Twilio would send
(``sent`` then ``delivered``), signed with the account's auth token, to the live
server's ``/sms/status`` for each of the prescription's messages.
"""

from __future__ import annotations

import uuid

import requests
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from models import Prescription, SmsMessage
from sampark.runtime import Runtime
from telephony.messaging import status_callback_url


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


def deliver_prescription_sms(runtime: Runtime, app: Flask, code: str) -> str:
    """Report every SMS of prescription ``code`` as delivered; returns how it was done."""
    with runtime.db.session() as s:
        rx = s.scalars(select(Prescription).where(Prescription.code == code)).one()
        messages = list(s.scalars(select(SmsMessage).where(SmsMessage.prescription_id == rx.id)))
    for sms in messages:
        sid = sms.provider_sid or "SM" + uuid.uuid4().hex
        for status in ("sent", "delivered"):
            post_signed_status(runtime, sms, sid, status)
    return "signed /sms/status callbacks"
