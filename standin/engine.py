"""The stand-in's call engine: what the REST layer calls, and the phones' controls.

Each REST method takes the request's (already validated) form params with Twilio's names and
returns the resource in Twilio's JSON shape, or raises ``TwilioApiError``. All state changes
happen under ``self.lock``; webhooks go out from clock events with the lock released.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from typing import Any

from standin.api_conferences import ConferenceApiMixin
from standin.errors import TwilioApiError, not_found
from standin.interactive import InteractiveMixin
from standin.phones import PhoneScript
from standin.resources import Call, PhoneNumber
from standin.util import ALPHA_SENDER, as_list, first, is_e164, is_landline, truthy

Params = Mapping[str, Any]
MAX_MEDIA_SECONDS = 30  # recording media is silence, at most this long


class Engine(InteractiveMixin, ConferenceApiMixin):
    """A local Twilio: calls, TwiML, conferences, SMS, recordings, phones with scripts."""

    # -- validation -----------------------------------------------------------------------
    def _validate_numbers(self, to: str, from_: str) -> None:
        if not is_e164(to):
            raise TwilioApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not is_e164(from_):
            raise TwilioApiError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        if self.strict_caller_id and from_ not in self.numbers:
            unownable = self.region.number_refusal(from_) if self.region else None
            if unownable is not None:
                self.region_note(unownable, from_=from_, error_code=21210)
            raise TwilioApiError(
                400,
                21210,
                f"The source phone number provided, {from_}, is not yet verified for your "
                "account. You may only make calls from phone numbers that you've verified or "
                "purchased from Twilio.",
            )
        self.region_call_check(to, from_)

    def _call(self, sid: str) -> Call:
        call = self.calls.get(sid)
        if call is None:
            raise not_found(f"Accounts/{self.account_sid}/Calls", sid)
        return call

    # -- Calls ----------------------------------------------------------------------------
    def create_call(self, params: Params) -> dict[str, Any]:
        """POST /Calls.json (https://www.twilio.com/docs/voice/api/call-resource)."""
        to, from_ = first(params, "To") or "", first(params, "From") or ""
        url, twiml = first(params, "Url"), first(params, "Twiml")
        with self.lock:
            self._validate_numbers(to, from_)
            if not url and not twiml:
                raise TwilioApiError(400, 21205, "Either Url or Twiml is required")
            callback = first(params, "StatusCallback")
            number = self.numbers.get(from_)
            call = self.new_call(
                to=to,
                from_=from_,
                direction="outbound-api",
                phone_number_sid=number.sid if number else None,
                url=url,
                method=(first(params, "Method") or "POST").upper(),
                twiml=twiml,
                fallback_url=first(params, "FallbackUrl"),
                fallback_method=(first(params, "FallbackMethod") or "POST").upper(),
                status_callback=callback,
                status_callback_method=(first(params, "StatusCallbackMethod") or "POST").upper(),
                status_events=set(as_list(params.get("StatusCallbackEvent")) or ["completed"]),
                timeout=float(first(params, "Timeout") or 60),
                machine_detection=first(params, "MachineDetection"),
                record=truthy(first(params, "Record")),
                recording_status_callback=first(params, "RecordingStatusCallback"),
                recording_status_callback_method=(
                    first(params, "RecordingStatusCallbackMethod") or "POST"
                ).upper(),
            )
            if first(params, "TimeLimit"):
                call.time_limit = float(first(params, "TimeLimit"))
            self.start_outbound(call)
            return call.to_json()

    def fetch_call(self, sid: str) -> dict[str, Any]:
        """GET /Calls/{Sid}.json"""
        with self.lock:
            return self._call(sid).to_json()

    def list_calls(self, params: Params) -> list[dict[str, Any]]:
        """GET /Calls.json (To, From, Status, ParentCallSid filters; newest first)."""
        filters = {k: first(params, k) for k in ("To", "From", "Status", "ParentCallSid")}
        with self.lock:
            calls = sorted(self.calls.values(), key=lambda c: c.date_created, reverse=True)
            items = [
                c.to_json()
                for c in calls
                if (not filters["To"] or c.to == filters["To"])
                and (not filters["From"] or c.from_ == filters["From"])
                and (not filters["Status"] or c.status == filters["Status"])
                and (not filters["ParentCallSid"] or c.parent_call_sid == filters["ParentCallSid"])
            ]
        return items

    def update_call(self, sid: str, params: Params) -> dict[str, Any]:
        """POST /Calls/{Sid}.json: redirect (Url/Method or Twiml) or end (Status).

        Updating a call that has ended is Twilio error 21220
        (https://www.twilio.com/docs/api/errors/21220).
        """
        with self.lock:
            call = self._call(sid)
            if call.final:
                raise TwilioApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
            status = first(params, "Status")
            if status in ("canceled", "completed"):
                if call.status in ("queued", "ringing"):
                    self.end_call(call, "canceled")
                elif status == "completed":
                    self.end_call(call, "completed")
                return call.to_json()
            url, twiml = first(params, "Url"), first(params, "Twiml")
            if url or twiml:
                call.url, call.twiml = url, twiml
                call.method = (first(params, "Method") or "POST").upper()
                if call.status == "in-progress":
                    self.record("call", sid=sid, event="redirected", url=url)
                    self._interrupt(call)
                    if twiml:
                        call.gen += 1
                        self._load_text(call, twiml, call.doc_url, "inline")
                    else:
                        call.gen += 1
                        self.schedule_fetch(call, url, call.method, {}, "twiml")
            return call.to_json()

    def _interrupt(self, call: Call) -> None:
        """Stop what the call is doing (for a redirect): leave a conference, drop a dialled leg."""
        waiting, call.waiting = call.waiting, None
        if waiting and waiting["kind"] == "conference":
            call.waiting = waiting
            self.leave_conference(call, "participant_updated_via_api", resume=False)
        elif waiting and waiting["kind"] == "dial":
            child = self.calls.get(waiting["child"])
            if child is not None and not child.final:
                self.end_call(child, "completed" if child.status == "in-progress" else "canceled")
        call.join = None
        call.gen += 1

    # -- Messages -------------------------------------------------------------------------
    def create_message(self, params: Params) -> dict[str, Any]:
        """POST /Messages.json (https://www.twilio.com/docs/messaging/api/message-resource)."""
        to = first(params, "To") or ""
        from_ = first(params, "From")
        service = first(params, "MessagingServiceSid")
        body = first(params, "Body") or ""
        media = as_list(params.get("MediaUrl"))
        with self.lock:
            if not is_e164(to):
                raise TwilioApiError(
                    400, 21211, f"The 'To' number {to} is not a valid phone number."
                )
            if is_landline(to):
                raise TwilioApiError(400, 21614, f"'To' number {to} is not a valid mobile number")
            if not body and not media:
                raise TwilioApiError(400, 21602, "Message body is required.")
            if len(body) > 1600:
                raise TwilioApiError(
                    400, 21617, "The concatenated message body exceeds the 1600 character limit."
                )
            if from_:
                ours = from_ in self.numbers or ALPHA_SENDER.match(from_)
                if self.strict_caller_id and not ours:
                    raise TwilioApiError(
                        400,
                        21606,
                        f"The From phone number {from_} is not a valid, SMS-capable inbound "
                        "phone number or short code for your account.",
                    )
            elif service:
                from_ = next(iter(self.numbers), service)
            else:
                raise TwilioApiError(
                    400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required"
                )
            body, media, filtered = self._region_message(to, from_, body, media)
            msg = self.new_message(
                to=to,
                from_=from_,
                body=body,
                direction="outbound-api",
                status="accepted" if service else "queued",
                messaging_service_sid=service,
                status_callback=first(params, "StatusCallback"),
                num_media=len(media),
                media_urls=media,
            )
            if self.region is not None and self.region.owns(to):
                msg.shown_from = self.region.shown_sender(to, from_, self.sender_rng)
            self.send_message(msg, outcome="filtered" if filtered else None)
            return msg.to_json()

    def fetch_message(self, sid: str) -> dict[str, Any]:
        """GET /Messages/{Sid}.json"""
        with self.lock:
            msg = self.messages.get(sid)
            if msg is None:
                raise not_found(f"Accounts/{self.account_sid}/Messages", sid)
            return msg.to_json()

    def list_messages(self, params: Params) -> list[dict[str, Any]]:
        """GET /Messages.json (To, From filters; newest first)."""
        to, from_ = first(params, "To"), first(params, "From")
        with self.lock:
            msgs = sorted(self.messages.values(), key=lambda m: m.date_created, reverse=True)
            items = [m.to_json() for m in msgs
                     if (not to or m.to == to) and (not from_ or m.from_ == from_)]  # fmt: skip
        return items

    # -- Recordings -----------------------------------------------------------------------
    def fetch_recording(self, sid: str) -> dict[str, Any]:
        """GET /Recordings/{Sid}.json"""
        with self.lock:
            rec = self.recordings.get(sid)
            if rec is None:
                raise not_found(f"Accounts/{self.account_sid}/Recordings", sid)
            return rec.to_json(self.api_base_url)

    def list_recordings(
        self, params: Params, *, call_sid: str | None = None, conference_sid: str | None = None
    ) -> list[dict[str, Any]]:
        """GET /Recordings.json (CallSid, ConferenceSid filters), or a call's/conference's."""
        call_sid = call_sid or first(params, "CallSid")
        conference_sid = conference_sid or first(params, "ConferenceSid")
        with self.lock:
            recs = sorted(self.recordings.values(), key=lambda r: r.date_created, reverse=True)
            items = [
                r.to_json(self.api_base_url)
                for r in recs
                if (not call_sid or r.call_sid == call_sid)
                and (not conference_sid or r.conference_sid == conference_sid)
            ]
        return items

    def recording_media(self, sid: str, fmt: str = "wav") -> bytes:
        """The recording's audio as Twilio serves it (``wav``, or ``mp3``): silence as long
        as the recording (capped at ``MAX_MEDIA_SECONDS``), or a browser phone's own WAV."""
        with self.lock:
            rec = self.recordings.get(sid)
            if rec is None:
                raise not_found(f"Accounts/{self.account_sid}/Recordings", sid)
            if fmt == "wav" and sid in self.board.audio:
                return self.board.audio[sid]
            seconds = min(rec.duration, MAX_MEDIA_SECONDS)
        if fmt == "mp3":
            return silent_mp3(seconds)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(1)
            out.setframerate(8000)
            out.writeframes(b"\x80" * (8000 * seconds))
        return buf.getvalue()

    # -- IncomingPhoneNumbers -------------------------------------------------------------
    def add_number(self, number: str, **urls: Any) -> dict[str, Any]:
        """Give the account a phone number (voice_url, voice_method, status_callback,
        sms_url, ... as keyword arguments, in the resource's snake_case names)."""
        if not is_e164(number):
            raise ValueError(f"not an E.164 number: {number!r}")
        rule = self.region.number_refusal(number) if self.region else None
        if rule is not None:
            self.region_note(rule, number=number)
            raise ValueError(f"{number}: Twilio has no such number ({rule.says} {rule.source})")
        with self.lock:
            pn = self.numbers.get(number)
            if pn is None:
                pn = PhoneNumber(self.sid("PN"), self.account_sid, number, self.clock.now())
                self.numbers[number] = pn
            for key, value in urls.items():
                if value is not None:
                    setattr(pn, key, value)
            return pn.to_json()

    def _number_by_sid(self, sid: str) -> PhoneNumber:
        for pn in self.numbers.values():
            if pn.sid == sid:
                return pn
        raise not_found(f"Accounts/{self.account_sid}/IncomingPhoneNumbers", sid)

    def fetch_incoming_phone_number(self, sid: str) -> dict[str, Any]:
        """GET /IncomingPhoneNumbers/{Sid}.json"""
        with self.lock:
            return self._number_by_sid(sid).to_json()

    def list_incoming_phone_numbers(self, params: Params) -> list[dict[str, Any]]:
        """GET /IncomingPhoneNumbers.json (PhoneNumber, FriendlyName filters)."""
        number, name = first(params, "PhoneNumber"), first(params, "FriendlyName")
        with self.lock:
            items = [
                pn.to_json()
                for pn in self.numbers.values()
                if (not number or number in pn.phone_number)
                and (not name or pn.friendly_name == name)
            ]
        return items

    def update_incoming_phone_number(self, sid: str, params: Params) -> dict[str, Any]:
        """POST /IncomingPhoneNumbers/{Sid}.json: VoiceUrl, SmsUrl, StatusCallback, ..."""
        fields = {
            "FriendlyName": "friendly_name", "VoiceUrl": "voice_url",
            "VoiceMethod": "voice_method", "VoiceFallbackUrl": "voice_fallback_url",
            "VoiceFallbackMethod": "voice_fallback_method", "StatusCallback": "status_callback",
            "StatusCallbackMethod": "status_callback_method", "SmsUrl": "sms_url",
            "SmsMethod": "sms_method", "SmsFallbackUrl": "sms_fallback_url",
            "SmsFallbackMethod": "sms_fallback_method",
        }  # fmt: skip
        with self.lock:
            pn = self._number_by_sid(sid)
            for key, attr in fields.items():
                if key in params:
                    value = first(params, key)
                    setattr(pn, attr, value.upper() if attr.endswith("method") else value)
            pn.date_updated = self.clock.now()
            return pn.to_json()

    # -- phones (the facade's controls) ---------------------------------------------------
    def set_script(self, number: str, script: PhoneScript) -> None:
        """How the phone at ``number`` behaves from now on."""
        with self.lock:
            self.scripts[number] = script

    def dial_in(self, from_: str, to: str, *, forwarded_from: str | None = None) -> str:
        """A phone calls one of our numbers: Twilio requests its VoiceUrl while it rings."""
        rule = self.region.dial_in_refusal(from_, to) if self.region else None
        if rule is not None:
            self.region_note(rule, from_=from_, to=to)
            raise ValueError(f"a call from {from_} cannot reach {to} ({rule.says} {rule.source})")
        with self.lock:
            pn = self.numbers.get(to)
            if pn is None or not pn.voice_url:
                raise ValueError(f"{to} is not one of the stand-in's numbers with a VoiceUrl")
            call = self.new_call(
                to=to,
                from_=from_,
                direction="inbound",
                status="ringing",
                phone_number_sid=pn.sid,
                forwarded_from=forwarded_from,
                url=pn.voice_url,
                method=pn.voice_method,
                fallback_url=pn.voice_fallback_url,
                fallback_method=pn.voice_fallback_method,
            )
            call.start_time = self.clock.now()
            if pn.status_callback:
                call.number_status_callback = (pn.status_callback, pn.status_callback_method)
            self._start_twiml(call)
            return call.sid

    def press(self, call_sid: str, digits: str) -> None:
        """The person on ``call_sid`` presses keys."""
        with self.lock:
            call = self._call(call_sid)
            if not call.final:
                self.press_keys(call, digits)

    def hangup(self, call_sid: str) -> None:
        """The person on ``call_sid`` hangs up."""
        self._call(call_sid)
        self.phone_hangup(call_sid)

    def answer_call(self, call_sid: str) -> None:
        """The phone ringing on ``call_sid`` is picked up by hand."""
        with self.lock:
            call = self._call(call_sid)
            if call.status != "ringing" or call.direction == "inbound":
                raise ValueError(f"call {call_sid} is {call.status}, not a ringing outbound leg")
            self.answer(call)

    def inbox(self, number: str) -> list[dict[str, str]]:
        """SMS the phone at ``number`` has received."""
        with self.lock:
            return [item.as_dict() for item in self.inboxes.get(number, [])]


def silent_mp3(seconds: int) -> bytes:
    """``seconds`` of silence as MP3: MPEG-2 Layer III frames, 16 kHz mono, 8 kbit/s, each
    36 bytes (4 header, 9 side information, no audio data) holding 576 silent samples."""
    frame = bytes([0xFF, 0xF3, 0x18, 0xC4]) + bytes(32)
    return frame * max(1, -(-seconds * 16000 // 576))
