"""Conferences: <Dial><Conference> and the Participants API.

Semantics from https://www.twilio.com/docs/voice/twiml/conference and
https://www.twilio.com/docs/voice/api/conference-participant-resource:
- a conference starts when at least two participants are in it and one of them has
  startConferenceOnEnter=true; until then participants hear the waitUrl TwiML, looped;
- it ends when a participant with endConferenceOnExit=true leaves, or the last one leaves;
- the conference statusCallback is the first one given (later ones are ignored); events are
  start end join leave mute hold modify speaker announcement, ``start end`` by default;
- creating a participant with a friendly name that no live conference has creates it.
"""

from __future__ import annotations

import re
from typing import Any

from standin.resources import Call, Conference, Participant
from standin.twiml import WAIT_VERBS, TwimlError, Verb, method_of, parse, resolve, verb_seconds
from standin.twiml_runner import RunnerMixin
from standin.util import as_list, compact, truthy

EVENT_KEYS = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
    "announcement-end": "announcement",
    "announcement-fail": "announcement",
}
DEFAULT_EVENTS = {"start", "end"}
CONFERENCE_SID = re.compile(r"^CF[0-9a-fA-F]{32}$")


def is_conference_sid(value: str) -> bool:
    """A Conference SID (anything else in the path is a friendly name)."""
    return bool(CONFERENCE_SID.match(value))


WAIT_LOOP_MIN = 5.0


class ConferenceMixin(RunnerMixin):
    """Conference rooms and their participants."""

    def live_conference(self, name_or_sid: str, *, create: bool) -> Conference | None:
        """The live (not completed) conference with this SID or friendly name."""
        if is_conference_sid(name_or_sid):
            conf = self.conferences.get(name_or_sid)
            return conf if conf is not None and conf.status != "completed" else None
        for conf in self.conferences.values():
            if conf.friendly_name == name_or_sid and conf.status != "completed":
                return conf
        if not create:
            return None
        conf = Conference(
            sid=self.sid("CF"),
            account_sid=self.account_sid,
            friendly_name=name_or_sid,
            date_created=self.clock.now(),
        )
        self.conferences[conf.sid] = conf
        self.record("conference", sid=conf.sid, event="created", friendly_name=name_or_sid)
        return conf

    def configure_conference(
        self,
        conf: Conference,
        *,
        status_callback: str | None,
        method: str,
        events: list[str],
        record: str | None,
        recording_callback: str | None,
        recording_method: str,
    ) -> None:
        """Settings a joining participant brings: only the first statusCallback counts."""
        if status_callback and not conf.status_callback:
            conf.status_callback = status_callback
            conf.status_callback_method = method
            conf.status_events = set(events) or set(DEFAULT_EVENTS)
        if record and record != "do-not-record":
            conf.record = True
            if recording_callback and not conf.recording_status_callback:
                conf.recording_status_callback = recording_callback
                conf.recording_status_callback_method = recording_method

    # -- <Dial><Conference> ---------------------------------------------------------------
    def _dial_conference(self, call: Call, dial: Verb, noun: Verb) -> bool:
        conf = self.live_conference(noun.text.strip(), create=True)
        assert conf is not None
        base = call.doc_url
        self.configure_conference(
            conf,
            status_callback=resolve(base, noun.attr("statusCallback")) if noun.attr(
                "statusCallback") else None,
            method=method_of(noun, "statusCallbackMethod"),
            events=as_list(noun.attr("statusCallbackEvent")),
            record=noun.attr("record"),
            recording_callback=resolve(base, noun.attr("recordingStatusCallback"))
            if noun.attr("recordingStatusCallback") else None,
            recording_method=method_of(noun, "recordingStatusCallbackMethod"),
        )  # fmt: skip
        wait_url = noun.attr("waitUrl")
        part = Participant(
            call_sid=call.sid,
            conference_sid=conf.sid,
            account_sid=self.account_sid,
            date_created=self.clock.now(),
            label=noun.attr("participantLabel"),
            muted=truthy(noun.attr("muted")),
            start_conference_on_enter=truthy(noun.attr("startConferenceOnEnter"), True),
            end_conference_on_exit=truthy(noun.attr("endConferenceOnExit")),
            beep=noun.attr("beep") or "true",
            wait_url=resolve(base, wait_url) if wait_url else wait_url,
            wait_method=method_of(noun, "waitMethod"),
            coaching=bool(noun.attr("coach")),
            call_sid_to_coach=noun.attr("coach"),
        )
        conf.participants[call.sid] = part
        call.waiting = {"kind": "conference", "verb": dial, "conference": conf.sid}
        self.participant_joined(conf, part, call)
        return True

    def _join_after_answer(self, call: Call) -> None:
        """A REST participant's call was answered: it enters its conference."""
        assert call.join is not None
        conf = self.conferences[call.join["conference_sid"]]
        part = conf.participants.get(call.sid)
        if conf.status == "completed" or part is None:
            self.record("participant", sid=call.sid, event="conference gone; hanging up")
            self.end_call(call, "completed")
            return
        call.waiting = {"kind": "conference", "verb": None, "conference": conf.sid}
        self.participant_joined(conf, part, call)

    def participant_joined(self, conf: Conference, part: Participant, call: Call) -> None:
        """``call`` is now in ``conf``."""
        part.status = "connected"
        part.date_updated = self.clock.now()
        call.conference_sid = conf.sid
        conf.history.append(call.sid)
        self.record("participant", sid=call.sid, conference_sid=conf.sid, event="join",
                    label=part.label)  # fmt: skip
        self.conference_event(conf, "participant-join", part)
        if conf.status == "init":
            connected = self.connected(conf)
            if len(connected) >= 2 and any(p.start_conference_on_enter for p in connected):
                self._start_conference(conf)
            else:
                self._wait_music(conf.sid, call.sid)
        if part.hold:
            self._hold_music(conf, part)

    def connected(self, conf: Conference) -> list[Participant]:
        """Participants in the room (not those still being dialled)."""
        return [p for p in conf.participants.values() if p.status == "connected"]

    def _start_conference(self, conf: Conference) -> None:
        conf.status = "in-progress"
        conf.started_at = conf.date_updated = self.clock.now()
        self.record("conference", sid=conf.sid, event="start")
        self.conference_event(conf, "conference-start")

    def leave_conference(self, call: Call, reason: str, *, resume: bool) -> dict[str, Any] | None:
        """``call`` leaves its conference (hung up, kicked, redirected, or the room ended);
        with ``resume`` it goes on with its TwiML. Returns what the call was waiting on."""
        conf = self.conferences.get(call.conference_sid or "")
        if conf is None:
            return None
        part = conf.participants.pop(call.sid, None)
        call.conference_sid = None
        waiting = call.waiting
        call.waiting = None
        if part is None:
            return waiting
        part.status = "complete"
        part.date_updated = self.clock.now()
        self.record("participant", sid=call.sid, conference_sid=conf.sid, event="leave",
                    reason=reason)  # fmt: skip
        status = call.status if call.final else "in-progress"
        self.conference_event(
            conf, "participant-leave", part, ReasonParticipantLeft=reason,
            ParticipantCallStatus=status,
        )  # fmt: skip
        if conf.status != "completed":
            if part.end_conference_on_exit:
                why = "participant-with-end-conference-on-exit-" + (
                    "kicked" if reason == "participant_kicked" else "left"
                )
                self.end_conference(conf, why, call.sid, part.label)  # fmt: skip
            elif not conf.participants:
                why = (
                    "last-participant-kicked"
                    if reason == "participant_kicked"
                    else ("last-participant-left")
                )
                self.end_conference(conf, why, call.sid, part.label)  # fmt: skip
        if resume and not call.final:
            self._resume_after_conference(call, waiting)
        return waiting

    def _resume_after_conference(self, call: Call, waiting: dict[str, Any] | None) -> None:
        if call.join is not None or waiting is None or waiting.get("verb") is None:
            self.end_call(call, "completed")  # a REST participant has no TwiML to go back to
            return
        call.gen += 1
        self._after_dial(call, waiting["verb"], {})

    def end_conference(
        self, conf: Conference, reason: str, ending_sid: str | None, label: str | None = None
    ) -> None:
        """The room closes: everyone still in it leaves; conference-end is sent."""
        if conf.status == "completed":
            return
        started = conf.status == "in-progress"
        conf.status = "completed"
        conf.ended_at = conf.date_updated = self.clock.now()
        conf.reason_conference_ended = reason
        conf.call_sid_ending_conference = ending_sid
        leaving: list[tuple[Call, dict[str, Any] | None]] = []
        for sid in list(conf.participants):
            call = self.calls[sid]
            if conf.participants[sid].status != "connected":
                conf.participants.pop(sid)
                self.end_call(call, "canceled")
                continue
            call.conference_sid = conf.sid
            leaving.append((call, self.leave_conference(call, "conference_ended", resume=False)))
        self.record("conference", sid=conf.sid, event="end", reason=reason)
        self.conference_event(
            conf, "conference-end", None, ReasonConferenceEnded=reason,
            CallSidEndingConference=ending_sid, ParticipantLabelEndingConference=label,
        )  # fmt: skip
        for call, waiting in leaving:  # after conference-end: they go on with their TwiML
            if not call.final:
                self._resume_after_conference(call, waiting)
        if conf.record and started and conf.started_at is not None:
            rec = self.add_recording(
                call_sid=None, conference_sid=conf.sid, start=conf.started_at,
                duration=(conf.ended_at - conf.started_at).total_seconds(), source="Conference",
            )  # fmt: skip
            self.recording_callback(
                rec, conf.recording_status_callback, conf.recording_status_callback_method
            )

    # -- callbacks ------------------------------------------------------------------------
    def conference_event(
        self, conf: Conference, event: str, part: Participant | None = None, **extra: Any
    ) -> None:
        """A conference status callback
        (https://www.twilio.com/docs/voice/api/conference-resource#conference-status-callback)."""
        if not conf.status_callback or EVENT_KEYS[event] not in conf.status_events:
            return
        params: dict[str, Any] = {
            "AccountSid": conf.account_sid,
            "ConferenceSid": conf.sid,
            "FriendlyName": conf.friendly_name,
            "StatusCallbackEvent": event,
            "Timestamp": self.now_text(),
            "SequenceNumber": str(conf.callback_seq),
        }
        if part is not None:
            params.update(
                CallSid=part.call_sid,
                ParticipantLabel=part.label,
                Muted=str(part.muted).lower(),
                Hold=str(part.hold).lower(),
                Coaching=str(part.coaching).lower(),
                CallSidToCoach=part.call_sid_to_coach,
                EndConferenceOnExit=str(part.end_conference_on_exit).lower(),
                StartConferenceOnEnter=str(part.start_conference_on_enter).lower(),
            )
        params.update(extra)
        conf.callback_seq += 1
        self.notify("conference-status", conf.status_callback, conf.status_callback_method,
                    compact(params), conf.sid)  # fmt: skip

    # -- music ----------------------------------------------------------------------------
    def _wait_music(self, conf_sid: str, call_sid: str) -> None:
        """Loop the participant's waitUrl TwiML while the conference has not started."""
        conf = self.conferences[conf_sid]
        part = conf.participants.get(call_sid)
        if part is None or not part.wait_url:
            return  # no URL: Twilio's default hold music, nothing to fetch; "" is silence
        url, method = part.wait_url, part.wait_method
        self.later(0.0, lambda: self._wait_loop(conf_sid, call_sid, url, method), key=call_sid)

    def _wait_loop(self, conf_sid: str, call_sid: str, url: str, method: str) -> None:
        with self.lock:
            conf = self.conferences[conf_sid]
            if conf.status != "init" or call_sid not in conf.participants:
                return
            call = self.calls[call_sid]
            params = {**self.call_params(call), "ConferenceSid": conf_sid,
                      "FriendlyName": conf.friendly_name, "QueuePosition": "1"}  # fmt: skip
        seconds = self._play_music(url, method, params, "wait-url", call_sid)
        if seconds == float("inf"):
            return  # loop="0": it plays until the conference starts, no new request
        with self.lock:
            if conf.status == "init" and call_sid in conf.participants:
                delay = max(seconds, WAIT_LOOP_MIN)
                self.later(delay, lambda: self._wait_loop(conf_sid, call_sid, url, method))

    def _play_music(
        self, url: str, method: str, params: dict[str, str], purpose: str, sid: str
    ) -> float:
        """Fetch a wait/hold/announce document; seconds it plays, ``inf`` when it loops
        forever (no lock held)."""
        resp = self.fetch(url, method, params, purpose=purpose, subject=sid)
        if not resp.ok:
            self.debugger(11200, f"HTTP retrieval failure: {resp.error or resp.status}",
                          call_sid=sid, url=url)  # fmt: skip
            return 0.0
        try:
            doc = parse(resp.body, allowed=WAIT_VERBS)
        except TwimlError as exc:
            self.debugger(exc.code, exc.message, call_sid=sid, url=url)
            return 0.0
        for warning in doc.warnings:
            self.debugger(12200, warning, level="WARNING", call_sid=sid, url=url)
        if any(v.name in ("Play", "Say") and v.attr("loop") == "0" for v in doc.verbs):
            return float("inf")
        return sum(verb_seconds(v) for v in doc.verbs)

    def _hold_music(self, conf: Conference, part: Participant) -> None:
        url = part.hold_url
        if not url:
            return
        call = self.calls[part.call_sid]
        params = {**self.call_params(call), "ConferenceSid": conf.sid}
        method = part.hold_method

        def play() -> None:
            self._play_music(url, method, params, "hold-url", call.sid)

        self.later(0.0, play, key=call.sid)

    def announce(self, conf: Conference, url: str, method: str, part: Participant | None) -> None:
        """Play an AnnounceUrl document, then announcement-end."""
        params = {"AccountSid": conf.account_sid, "ConferenceSid": conf.sid}
        sid, psid = conf.sid, (part.call_sid if part else None)

        def run() -> None:
            seconds = self._play_music(url, method, params, "announce-url", psid or sid)

            def done() -> None:
                with self.lock:
                    target = conf.participants.get(psid) if psid else None
                    self.conference_event(conf, "announcement-end", target)

            self.later(min(seconds, 600.0), done)

        self.later(0.0, run, key=conf.sid)

    # provided by the dial mixin
    def _after_dial(self, call: Call, verb: Verb, extra: dict[str, str]) -> None: ...
