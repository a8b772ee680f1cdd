"""Call legs: dialing, ringing, answering, ending, and call status callbacks.

Call progress follows https://www.twilio.com/docs/voice/api/call-resource#statuscallbackevent
(initiated, ringing, answered, completed; busy/no-answer/failed/canceled are reported to the
``completed`` subscription) and the callback parameters of
https://www.twilio.com/docs/voice/api/call-resource#statuscallback (CallStatus, CallDuration,
SequenceNumber, Timestamp, CallbackSource=call-progress-events, AnsweredBy with AMD).
"""

from __future__ import annotations

import math
from typing import Any

from standin.base import EngineBase
from standin.resources import Call, Recording
from standin.util import API_VERSION, compact, country_of

# Seconds of call setup before the far end rings / reports busy or failure.
SETUP_SECONDS = 1.0
# Answering machine detection takes a few seconds
# (https://www.twilio.com/docs/voice/answering-machine-detection).
RECORDING_PROCESSING = 1.0
MAX_CALL_SECONDS = 14400.0
RING_BUFFER = 5.0
AMD_SECONDS = {"human": 2.5, "machine_start": 4.0, "machine_end_beep": 12.0}


class CallsMixin(EngineBase):
    """Call lifecycle."""

    # provided by the other mixins
    def _start_twiml(self, call: Call) -> None: ...  # pragma: no cover
    def _join_after_answer(self, call: Call) -> None: ...  # pragma: no cover
    def _call_ended_cleanup(self, call: Call, prev: str, hangup_by_phone: bool) -> None: ...

    def new_call(self, *, to: str, from_: str, direction: str, **fields: Any) -> Call:
        """Create a call leg (status queued) and register it."""
        now = self.clock.now()
        call = Call(
            sid=self.sid("CA"),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            direction=direction,
            date_created=now,
            **fields,
        )
        self.calls[call.sid] = call
        self.record("call", sid=call.sid, event="created", to=to, from_=from_, direction=direction)
        return call

    def call_params(self, call: Call) -> dict[str, str]:
        """The parameters Twilio sends with every voice webhook of ``call``
        (https://www.twilio.com/docs/usage/webhooks/voice-webhooks)."""
        status = call.status
        if status == "queued":
            status = "initiated"
        return compact(
            {
                "AccountSid": call.account_sid,
                "ApiVersion": API_VERSION,
                "CallSid": call.sid,
                "CallStatus": status,
                "Called": call.to,
                "Caller": call.from_,
                "Direction": call.direction,
                "From": call.from_,
                "To": call.to,
                "CalledCountry": country_of(call.to) or None,
                "CallerCountry": country_of(call.from_) or None,
                "FromCountry": country_of(call.from_) or None,
                "ToCountry": country_of(call.to) or None,
                "ForwardedFrom": call.forwarded_from,
                "ParentCallSid": call.parent_call_sid,
                "AnsweredBy": call.answered_by,
            }
        )

    # -- status callbacks -----------------------------------------------------------------
    def status_callback(self, call: Call, event: str) -> None:
        """Send a call progress event if the call subscribed to it (terminal statuses go to
        the ``completed`` subscription, the default one)."""
        self.record("call", sid=call.sid, event=event, status=call.status)
        if call.status_callback and event in call.status_events:
            params = self._progress_params(call, event)
            call.callback_seq += 1
            self.notify(
                "call-status", call.status_callback, call.status_callback_method, params, call.sid
            )
        if event == "completed":
            self._number_status_callback(call)

    def _progress_params(self, call: Call, event: str) -> dict[str, str]:
        params = self.call_params(call)
        params.update(
            CallbackSource="call-progress-events",
            SequenceNumber=str(call.callback_seq),
            Timestamp=self.now_text(),
        )
        if event == "initiated":
            params["CallStatus"] = "initiated"
        if event == "completed":
            seconds = call.duration()
            params["CallDuration"] = str(seconds)
            params["Duration"] = str(math.ceil(seconds / 60)) if seconds else "0"
        return params

    def _number_status_callback(self, call: Call) -> None:
        """The IncomingPhoneNumber's StatusCallback hears when an inbound call ends."""
        if call.direction != "inbound" or call.number_status_callback is None:
            return
        url, method = call.number_status_callback
        params = self._progress_params(call, "completed")
        self.notify("call-status", url, method, params, call.sid)

    # -- dialing --------------------------------------------------------------------------
    def start_outbound(self, call: Call) -> None:
        """Dial ``call.to``: initiated now (or when the account's CPS allows: "calls beyond
        your account's CPS limit will be queued", https://www.twilio.com/docs/voice/api/
        call-resource), then ringing/busy/failed as the phone's script says."""
        token = call.gen
        delay = 0.0
        if self.cps and call.direction == "outbound-api":  # <Dial> legs are not limited
            now = self.clock.seconds()
            slot = max(now, self._next_call_slot)
            self._next_call_slot = slot + 1.0 / self.cps
            delay = slot - now
            call.queue_time_ms = int(delay * 1000)
        self.later(delay, lambda: self._initiated(call.sid, token), key=call.sid)

    def _live(self, sid: str, token: int) -> Call | None:
        call = self.calls.get(sid)
        if call is None or call.final or call.gen != token:
            return None
        return call

    def _initiated(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is None:
                return
            call.start_time = self.clock.now()
            self._participant_status(call, "connecting")
            self.status_callback(call, "initiated")
            outcome = self.script_for(call.to).outcome
            if outcome == "failed":
                self.later(SETUP_SECONDS / 2, lambda: self._end_if_live(sid, token, "failed"))
            elif outcome == "busy":
                self.later(SETUP_SECONDS * 1.5, lambda: self._end_if_live(sid, token, "busy"))
            else:
                self.later(SETUP_SECONDS, lambda: self._ringing(sid, token))

    def _ringing(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is None:
                return
            call.status = "ringing"
            call.date_updated = self.clock.now()
            self._participant_status(call, "ringing")
            self.status_callback(call, "ringing")
            script = self.script_for(call.to)
            # Twilio adds a 5-second buffer to the ring timeout
            # (https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource).
            ring_limit = call.timeout + RING_BUFFER
            if script.outcome in ("answer", "machine"):
                delay = script.answer_after + self.dice.slow_answer()
                if delay < ring_limit:
                    self.later(delay, lambda: self._answer_if_live(sid, token))
                    return
            self.later(ring_limit, lambda: self._end_if_live(sid, token, "no-answer"))

    def _end_if_live(self, sid: str, token: int, status: str) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is not None:
                self.end_call(call, status)

    def _answer_if_live(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is not None and call.status == "ringing":
                self.answer(call)

    def answer(self, call: Call) -> None:
        """The far end picks up an outbound leg: answered callback, then TwiML (or the
        conference join of a REST participant, or the bridge of a <Dial> leg)."""
        script = self.script_for(call.to)
        call.status = "in-progress"
        call.answered_at = call.date_updated = self.clock.now()
        detect = 0.0
        if call.machine_detection:
            if script.outcome == "machine":
                end = call.machine_detection.lower() == "detectmessageend"
                call.answered_by = "machine_end_beep" if end else "machine_start"
            else:
                call.answered_by = "human"
            detect = AMD_SECONDS[call.answered_by]
        self.status_callback(call, "answered")
        self._schedule_phone_hangup(call)
        token = call.gen
        self.later(detect, lambda: self._after_answer(call.sid, token))

    def _after_answer(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is None:
                return
            if call.join is not None:
                self._join_after_answer(call)
            elif call.direction == "outbound-dial" and not call.url and not call.twiml:
                self._bridged(call)
            else:
                self._start_twiml(call)

    def _bridged(self, child: Call) -> None:
        """A <Dial><Number> leg answered: the parent is now talking to it."""
        self.record("call", sid=child.sid, event="bridged", parent=child.parent_call_sid)

    def _schedule_phone_hangup(self, call: Call) -> None:
        """Arm the phone's scripted hang-up and the call's time limit (TimeLimit, 4 h by
        default: https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource)."""
        sid = call.sid
        self.later(call.time_limit or MAX_CALL_SECONDS, lambda: self.phone_hangup(sid))
        phone = call.from_ if call.direction == "inbound" else call.to
        after = self.script_for(phone).hangup_after
        if after is not None:
            self.later(after, lambda: self.phone_hangup(sid))

    def phone_hangup(self, sid: str) -> None:
        """The person on ``sid`` hangs up (scripted or by hand)."""
        with self.lock:
            call = self.calls.get(sid)
            if call is None or call.final:
                return
            if call.status in ("queued", "ringing"):
                # a caller giving up while it rings / a callee rejecting
                status = "canceled" if call.direction == "inbound" else "busy"
                self.end_call(call, status, hangup_by_phone=True)
            else:
                self.end_call(call, "completed", hangup_by_phone=True)

    # -- ending ---------------------------------------------------------------------------
    def end_call(self, call: Call, status: str, *, hangup_by_phone: bool = False) -> None:
        """End ``call`` with a final ``status``; tidy up and send the completed callback."""
        if call.final:
            return
        prev = call.status
        call.gen += 1
        call.status = status
        call.end_time = call.date_updated = self.clock.now()
        if call.start_time is None:
            call.start_time = call.end_time
        self._call_ended_cleanup(call, prev, hangup_by_phone)
        if call.record and call.answered_at is not None:
            self.call_recording(call)
        self.status_callback(call, "completed")

    def call_recording(self, call: Call) -> None:
        """The recording of a call created with Record=true (source OutboundAPI)."""
        assert call.answered_at is not None
        rec = self.add_recording(
            call_sid=call.sid,
            conference_sid=None,
            start=call.answered_at,
            duration=call.duration(),
            source="OutboundAPI",
        )
        self.recording_callback(
            rec, call.recording_status_callback, call.recording_status_callback_method
        )

    def add_recording(
        self,
        *,
        call_sid: str | None,
        conference_sid: str | None,
        start: Any,
        duration: float,
        source: str,
    ) -> Recording:
        """Store a completed recording."""
        rec = Recording(
            sid=self.sid("RE"),
            account_sid=self.account_sid,
            call_sid=call_sid,
            conference_sid=conference_sid,
            date_created=self.clock.now(),
            start_time=start,
            duration=round(duration),
            source=source,
        )
        self.recordings[rec.sid] = rec
        self.record("recording", sid=rec.sid, call_sid=call_sid, conference_sid=conference_sid,
                    duration=rec.duration, source=source)  # fmt: skip
        return rec

    def recording_url(self, rec: Recording) -> str:
        """The RecordingUrl Twilio sends (no extension; append .wav/.mp3 to download)."""
        return f"{self.api_base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{rec.sid}"

    def recording_callback(self, rec: Recording, url: str | None, method: str = "POST") -> None:
        """recordingStatusCallback with RecordingStatus=completed
        (https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback)."""
        if not url:
            return
        params = compact(
            {
                "AccountSid": rec.account_sid,
                "CallSid": rec.call_sid,
                "ConferenceSid": rec.conference_sid,
                "RecordingSid": rec.sid,
                "RecordingUrl": self.recording_url(rec),
                "RecordingStatus": "completed",
                "RecordingDuration": str(rec.duration),
                "RecordingChannels": str(rec.channels),
                "RecordingStartTime": self.now_text(),
                "RecordingSource": rec.source,
                "RecordingTrack": "both",
            }
        )
        # the recording is processed (about a second) before its callback
        self.notify("recording-status", url, method, params, rec.sid, after=RECORDING_PROCESSING)

    def _participant_status(self, call: Call, status: str) -> None:
        """Mirror a REST participant's call progress on its Participant resource."""
        if call.join is None:
            return
        conf = self.conferences.get(call.join["conference_sid"])
        if conf is not None and call.sid in conf.participants:
            conf.participants[call.sid].status = status
