"""<Dial>: to a <Number> (a child call bridged to the caller) or a <Conference>, and what
happens to a call's pending work when it ends.

https://www.twilio.com/docs/voice/twiml/dial: after the dialled party hangs up, Twilio requests
the ``action`` URL with DialCallStatus, DialCallSid and DialCallDuration; without an action the
call continues with the verb after <Dial>.

A <Number> must be a number Twilio can dial (see :func:`dialable`); otherwise no call is
placed, the Debugger logs it and the <Dial> ends at once with DialCallStatus ``failed``.
"""

from __future__ import annotations

import re

import phonenumbers

from standin.conference import ConferenceMixin
from standin.resources import Call
from standin.twiml import Verb, method_of, resolve
from standin.util import E164, as_list, is_e164

_US_PUNCTUATION = re.compile(r"[\s().-]")


def dialable(text: str) -> str | None:
    """The E.164 number Twilio dials for a <Number>, or None if it will not dial it.

    https://www.twilio.com/docs/voice/twiml/number: "Phone numbers should be formatted in
    E.164 format with a + and country code ... Twilio will also accept unformatted US
    numbers, e.g., (415) 555-1212 or 415-555-1212." Anything else fails the dial:
    https://www.twilio.com/docs/api/errors/13223 ("Dial: Invalid phone number format", not
    E.164) and /13224 ("Twilio does not support calling this number or the number is
    invalid", e.g. a local dialling pattern or a short code such as India's 108).
    """
    text = text.strip()
    if text.startswith("+"):
        return text if is_e164(text) else None
    if not re.fullmatch(r"1?[2-9]\d{9}", _US_PUNCTUATION.sub("", text)):
        return None
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class DialMixin(ConferenceMixin):
    """<Dial> and call tear-down."""

    def _verb_dial(self, call: Call, verb: Verb) -> bool:
        nouns = list(verb.children)
        if not nouns and verb.text.strip():
            nouns = [Verb("Number", {}, verb.text.strip())]
        for noun in nouns:
            if noun.name == "Conference":
                return self._dial_conference(call, verb, noun)
            if noun.name == "Number":
                return self._dial_number(call, verb, noun)
            if noun.name == "Queue":
                return self._dial_queue(call, verb, noun)
        kinds = [n.name for n in nouns] or ["nothing"]
        self.debugger(12200, f"<Dial> to {kinds} is not simulated", level="WARNING",
                      call_sid=call.sid)  # fmt: skip
        self._after_dial(call, verb, {"DialCallStatus": "failed"})
        return True

    def _dial_queue(self, call: Call, verb: Verb, noun: Verb) -> bool:  # pragma: no cover
        raise NotImplementedError  # queues.py

    def _dial_number(self, call: Call, verb: Verb, noun: Verb) -> bool:
        number = dialable(noun.text)
        if number is None:
            self._undialable(call, verb, noun.text.strip())
            return True
        caller_id = verb.attr("callerId") or call.from_
        rule = self.region.call_refusal(number, caller_id) if self.region else None
        if rule is not None:  # standin/regions.py: no leg, Twilio's regulatory block
            self.region_note(rule, call_sid=call.sid, to=number, from_=caller_id,
                             error_code=32224)  # fmt: skip
            self.debugger(32224, "Forwarded Call blocked by Twilio", call_sid=call.sid,
                          number=number, caller_id=caller_id)  # fmt: skip
            self._after_dial(call, verb, {"DialCallStatus": "failed"})
            return True
        callback = noun.attr("statusCallback")
        child = self.new_call(
            to=number,
            from_=caller_id,
            direction="outbound-dial",
            parent_call_sid=call.sid,
            timeout=verb.number("timeout", 30),
            status_callback=resolve(call.doc_url, callback) if callback else None,
            status_callback_method=method_of(noun, "statusCallbackMethod"),
            status_events=set(as_list(noun.attr("statusCallbackEvent")) or ["completed"]),
            url=resolve(call.doc_url, noun.attr("url")) if noun.attr("url") else None,
        )
        call.dial_child = child.sid
        call.waiting = {"kind": "dial", "verb": verb, "child": child.sid}
        limit = verb.number("timeLimit", 14400)
        token, child_sid = child.gen, child.sid
        self.start_outbound(child)
        self.later(limit + child.timeout + 2, lambda: self._end_if_live(child_sid, token,
                                                                        "completed"))  # fmt: skip
        return True

    def _undialable(self, call: Call, verb: Verb, text: str) -> None:
        """No call is placed: the Debugger's warning and error, then the Dial action (or the
        next verb) with DialCallStatus ``failed`` and no DialCallSid (there is no leg)."""
        if not E164.match(text):
            self.debugger(13223, "Dial: Invalid phone number format", level="WARNING",
                          call_sid=call.sid, number=text)  # fmt: skip
        self.debugger(13224, "Dial: Twilio does not support calling this number or the number "
                      "is invalid", call_sid=call.sid, number=text)  # fmt: skip
        self._after_dial(call, verb, {"DialCallStatus": "failed"})

    def _dial_child_ended(self, child: Call) -> None:
        parent = self.calls.get(child.parent_call_sid or "")
        if parent is None or parent.final or not parent.waiting:
            return
        if parent.waiting.get("kind") != "dial" or parent.waiting.get("child") != child.sid:
            return
        verb: Verb = parent.waiting["verb"]
        parent.waiting = None
        parent.dial_child = None
        parent.gen += 1
        self._dial_recording(parent, verb, child)
        extra = {
            "DialCallStatus": child.status,
            "DialCallSid": child.sid,
            "DialCallDuration": str(child.duration()),
        }
        self._after_dial(parent, verb, extra)

    def _dial_recording(self, parent: Call, verb: Verb, child: Call) -> None:
        """<Dial record="record-from-answer..."> records the bridged conversation."""
        if not (verb.attr("record") or "").startswith("record-from") or child.answered_at is None:
            return
        rec = self.add_recording(
            call_sid=parent.sid, conference_sid=None, start=child.answered_at,
            duration=child.duration(), source="DialVerb",
        )  # fmt: skip
        callback = verb.attr("recordingStatusCallback")
        url = resolve(parent.doc_url, callback) if callback else None
        self.recording_callback(rec, url, method_of(verb, "recordingStatusCallbackMethod"))

    def _after_dial(self, call: Call, verb: Verb, extra: dict[str, str]) -> None:
        """The dial is over: request the Dial action, or go on with the next verb."""
        action = verb.attr("action")
        if action:
            url = resolve(call.doc_url, action) or action
            self.schedule_fetch(call, url, method_of(verb), extra, "dial-action")
        else:
            self._exec_next(call)

    def _call_ended_cleanup(self, call: Call, prev: str, hangup_by_phone: bool) -> None:
        """Whatever ``call`` was doing stops: recordings close, dialled legs drop, it leaves
        its conference, and a <Dial> parent learns its child ended."""
        waiting = call.waiting
        if waiting and waiting["kind"] == "record":
            self._record_finished(call, hangup=True)
        elif waiting and waiting["kind"] == "dial":
            call.waiting = None
            child = self.calls.get(waiting["child"])
            if child is not None and not child.final:
                self.end_call(child, "completed" if child.status == "in-progress" else "canceled")
            action = waiting["verb"].attr("action")
            if child is not None:
                self._dial_recording(call, waiting["verb"], child)
            if action and child is not None:
                extra = {"DialCallStatus": child.status, "DialCallSid": child.sid,
                         "DialCallDuration": str(child.duration())}  # fmt: skip
                url = resolve(call.doc_url, action) or action
                self.fire_and_forget(call, url, method_of(waiting["verb"]), extra, "dial-action")
        elif waiting and waiting["kind"] == "conference":
            reason = "participant_hung_up" if hangup_by_phone else "participant_updated_via_api"
            self.leave_conference(call, reason, resume=False)
        call.waiting = None
        if call.join is not None:
            conf = self.conferences.get(call.join["conference_sid"])
            if conf is not None and call.sid in conf.participants:
                # dialled but never joined (no answer, busy, failed, canceled)
                part = conf.participants.pop(call.sid)
                part.status = "failed" if call.status != "completed" else "complete"
                if conf.status == "init" and not conf.participants:
                    if conf.history:
                        self.end_conference(conf, "last-participant-left", call.sid, part.label)
                    else:  # nobody ever joined: Twilio never opened the room
                        conf.status = "completed"
                        conf.ended_at = conf.date_updated = self.clock.now()
        if call.direction == "outbound-dial":
            self._dial_child_ended(call)
