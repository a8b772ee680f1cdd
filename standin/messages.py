"""SMS: outbound messages with status callbacks, inbound messages to our numbers, inboxes.

Outbound status changes follow
https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks:
no callback for the initial ``queued`` (``accepted`` with a Messaging Service), then ``sent``
and ``delivered``, or ``undelivered``/``failed`` with ErrorCode (30003, 30005, 30006, 30008).
Inbound messages reach the number's SmsUrl with the parameters of
https://www.twilio.com/docs/messaging/guides/webhook-request.
"""

from __future__ import annotations

from standin.phones import SMS_ERRORS, InboxItem
from standin.queues import QueueMixin
from standin.resources import Message
from standin.twiml import TwimlError, parse
from standin.util import API_VERSION, compact, country_of, gsm_segments

SENT_AFTER = 1.0
DELIVERED_AFTER = 3.0


class MessagesMixin(QueueMixin):
    """SMS."""

    def new_message(
        self, *, to: str, from_: str, body: str, direction: str, **fields: object
    ) -> Message:
        """Create and register a Message."""
        encoding, segments = gsm_segments(body)
        msg = Message(
            sid=self.sid("SM"),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            body=body,
            direction=direction,
            date_created=self.clock.now(),
            encoding=encoding,
            num_segments=segments,
            **fields,  # type: ignore[arg-type]
        )
        self.messages[msg.sid] = msg
        self.record("message", sid=msg.sid, event="created", to=to, from_=from_,
                    direction=direction, body=body, segments=segments)  # fmt: skip
        return msg

    def send_message(self, msg: Message, outcome: str | None = None) -> None:
        """Move an outbound message along queued → sent → delivered (or its failure;
        ``outcome`` overrides the phone's script)."""
        sid = msg.sid
        outcome = outcome or self.script_for(msg.to).sms_outcome
        if msg.status == "accepted":  # a Messaging Service queues it first, with a callback
            self.later(SENT_AFTER / 2, lambda: self._message_status(sid, "queued"), key=sid)
        if outcome == "failed":
            self.later(SENT_AFTER, lambda: self._message_status(sid, outcome), key=sid)
            return
        self.later(SENT_AFTER, lambda: self._message_status(sid, "sent"), key=sid)
        self.later(DELIVERED_AFTER, lambda: self._message_status(sid, outcome), key=sid)

    def _message_status(self, sid: str, outcome: str) -> None:
        with self.lock:
            msg = self.messages[sid]
            now = self.clock.now()
            msg.date_updated = now
            if outcome == "queued":
                msg.status = "queued"
            elif outcome == "sent":
                msg.status, msg.date_sent = "sent", now
            elif outcome == "delivered":
                msg.status = "delivered"
                self.inboxes.setdefault(msg.to, []).append(
                    InboxItem(msg.sid, msg.shown_from or msg.from_, msg.body, now.isoformat())
                )
            else:
                msg.status, msg.error_code, msg.error_message = SMS_ERRORS[outcome]
            self.record("message", sid=sid, event=msg.status, error_code=msg.error_code)
            if not msg.status_callback:
                return
            params = compact(
                {
                    "AccountSid": msg.account_sid,
                    "ApiVersion": API_VERSION,
                    "MessageSid": msg.sid,
                    "SmsSid": msg.sid,
                    "MessageStatus": msg.status,
                    "SmsStatus": msg.status,
                    "From": msg.from_,
                    "To": msg.to,
                    "MessagingServiceSid": msg.messaging_service_sid,
                    "ErrorCode": str(msg.error_code) if msg.error_code else None,
                    "RawDlrDoneDate": now.strftime("%y%m%d%H%M")
                    if msg.status == "delivered" else None,
                }
            )  # fmt: skip
            self.notify("message-status", msg.status_callback, "POST", params, sid)

    def receive_sms(self, from_: str, to: str, body: str) -> str:
        """A phone texts one of our numbers: SmsUrl gets the message; a <Message> reply in
        its TwiML is delivered back to the phone's inbox. Where the region's rules keep the
        SMS from reaching Twilio (no two-way SMS in India) nothing happens: returns ''."""
        rule = self.region.sms_inbound_refusal(from_, to) if self.region else None
        if rule is not None:
            self.region_note(rule, from_=from_, to=to, body=body)
            return ""
        with self.lock:
            number = self.numbers.get(to)
            if number is None:
                raise ValueError(f"{to} is not one of the stand-in's numbers")
            msg = self.new_message(to=to, from_=from_, body=body, direction="inbound",
                                   status="received")  # fmt: skip
            params = compact(
                {
                    "MessageSid": msg.sid,
                    "SmsSid": msg.sid,
                    "SmsMessageSid": msg.sid,
                    "AccountSid": self.account_sid,
                    "From": from_,
                    "To": to,
                    "Body": body,
                    "NumMedia": "0",
                    "NumSegments": str(msg.num_segments),
                    "SmsStatus": "received",
                    "ApiVersion": API_VERSION,
                    "FromCountry": country_of(from_),
                    "ToCountry": country_of(to),
                }
            )
            url, method = number.sms_url, number.sms_method
        if url:
            self.later(
                0.0, lambda: self._deliver_inbound_sms(url, method, params, msg), key=msg.sid
            )
        return msg.sid

    def _deliver_inbound_sms(
        self, url: str, method: str, params: dict[str, str], msg: Message
    ) -> None:
        resp = self.fetch(url, method, params, purpose="incoming-sms", subject=msg.sid)
        if not resp.ok:
            self.debugger(11200, f"HTTP retrieval failure: {resp.error or resp.status}",
                          message_sid=msg.sid, url=url)  # fmt: skip
            return
        if not resp.body.strip():
            return
        try:
            doc = parse(resp.body, allowed=frozenset({"Message", "Redirect"}))
        except TwimlError as exc:
            self.debugger(exc.code, exc.message, message_sid=msg.sid, url=url)
            return
        with self.lock:
            for verb in doc.verbs:
                if verb.name != "Message":
                    continue
                text = "".join(c.text for c in verb.children if c.name == "Body") or verb.text
                reply = self.new_message(
                    to=verb.attr("to") or msg.from_, from_=verb.attr("from") or msg.to,
                    body=text.strip(), direction="outbound-reply",
                )  # fmt: skip
                reply.status_callback = verb.attr("statusCallback")
                self.send_message(reply)
