"""REST operations on Conferences and their Participants
(https://www.twilio.com/docs/voice/api/conference-resource,
https://www.twilio.com/docs/voice/api/conference-participant-resource)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standin.conference import is_conference_sid
from standin.errors import not_found
from standin.messages import MessagesMixin
from standin.resources import Conference, Participant
from standin.util import as_list, first, truthy

Params = Mapping[str, Any]


class ConferenceApiMixin(MessagesMixin):
    """Conference and Participant endpoints."""

    def _validate_numbers(self, to: str, from_: str) -> None: ...  # provided by the engine

    def _conference(self, sid: str) -> Conference:
        conf = self.conferences.get(sid)
        if conf is None:
            raise not_found(f"Accounts/{self.account_sid}/Conferences", sid)
        return conf

    def fetch_conference(self, sid: str) -> dict[str, Any]:
        """GET /Conferences/{Sid}.json"""
        with self.lock:
            return self._conference(sid).to_json()

    def list_conferences(self, params: Params) -> list[dict[str, Any]]:
        """GET /Conferences.json (FriendlyName, Status filters; newest first)."""
        with self.lock:
            confs = sorted(self.conferences.values(), key=lambda c: c.date_created, reverse=True)
            name, status = first(params, "FriendlyName"), first(params, "Status")
            items = [
                c.to_json()
                for c in confs
                if (not name or c.friendly_name == name) and (not status or c.status == status)
            ]
        return items

    def update_conference(self, sid: str, params: Params) -> dict[str, Any]:
        """POST /Conferences/{Sid}.json: Status=completed ends it; AnnounceUrl plays to all."""
        with self.lock:
            conf = self._conference(sid)
            if first(params, "Status") == "completed":
                self.end_conference(conf, "conference-ended-via-api", None)
            if first(params, "AnnounceUrl") and conf.status != "completed":
                method = (first(params, "AnnounceMethod") or "POST").upper()
                self.announce(conf, first(params, "AnnounceUrl"), method, None)
            return conf.to_json()

    # -- participants ---------------------------------------------------------------------
    def _live_or_404(self, conference: str, *, create: bool) -> Conference:
        conf = self.live_conference(conference, create=create)
        if conf is None:
            raise not_found(f"Accounts/{self.account_sid}/Conferences", conference)
        return conf

    def _participant(self, conf: Conference, key: str) -> Participant:
        """A participant by CallSid or by label (Twilio accepts either in the path)."""
        part = conf.participants.get(key)
        if part is None:
            part = next((p for p in conf.participants.values() if p.label == key), None)
        if part is None:
            raise not_found(f"Accounts/{self.account_sid}/Conferences/{conf.sid}/Participants", key)
        return part

    def create_participant(self, conference: str, params: Params) -> dict[str, Any]:
        """POST /Conferences/{ConferenceSid}/Participants.json: dial To and put the call in
        the conference when it answers. ``conference`` is a SID or a friendly name; a name
        no live conference has creates the conference."""
        to, from_ = first(params, "To") or "", first(params, "From") or ""
        with self.lock:
            self._validate_numbers(to, from_)
            conf = self._live_or_404(conference, create=not is_conference_sid(conference))
            self.configure_conference(
                conf,
                status_callback=first(params, "ConferenceStatusCallback"),
                method=(first(params, "ConferenceStatusCallbackMethod") or "POST").upper(),
                events=as_list(params.get("ConferenceStatusCallbackEvent")),
                record=first(params, "ConferenceRecord"),
                recording_callback=first(params, "ConferenceRecordingStatusCallback"),
                recording_method=(
                    first(params, "ConferenceRecordingStatusCallbackMethod") or "POST"
                ).upper(),
            )
            callback = first(params, "StatusCallback")
            call = self.new_call(
                to=to,
                from_=from_,
                direction="outbound-api",
                status_callback=callback,
                status_callback_method=(first(params, "StatusCallbackMethod") or "POST").upper(),
                status_events=set(as_list(params.get("StatusCallbackEvent")) or ["completed"]),
                timeout=float(first(params, "Timeout") or 60),
                machine_detection=first(params, "MachineDetection"),
                record=truthy(first(params, "Record")),
                recording_status_callback=first(params, "RecordingStatusCallback"),
                join={"conference_sid": conf.sid},
            )
            wait_url = first(params, "WaitUrl")
            part = Participant(
                call_sid=call.sid,
                conference_sid=conf.sid,
                account_sid=self.account_sid,
                date_created=self.clock.now(),
                label=first(params, "Label"),
                muted=truthy(first(params, "Muted")),
                hold=truthy(first(params, "Hold")),
                coaching=truthy(first(params, "Coaching")),
                call_sid_to_coach=first(params, "CallSidToCoach"),
                start_conference_on_enter=truthy(first(params, "StartConferenceOnEnter"), True),
                end_conference_on_exit=truthy(first(params, "EndConferenceOnExit")),
                beep=str(first(params, "Beep") or "true"),
                wait_url=wait_url,
                wait_method=(first(params, "WaitMethod") or "POST").upper(),
                via_rest=True,
            )
            conf.participants[call.sid] = part
            self.start_outbound(call)
            self.record("participant", sid=call.sid, conference_sid=conf.sid, event="dialing",
                        label=part.label, to=to)  # fmt: skip
            return part.to_json()

    def fetch_participant(self, conference: str, call_sid: str) -> dict[str, Any]:
        """GET /Conferences/{ConferenceSid}/Participants/{CallSid}.json"""
        with self.lock:
            conf = self._live_or_404(conference, create=False)
            return self._participant(conf, call_sid).to_json()

    def list_participants(self, conference: str, params: Params) -> list[dict[str, Any]]:
        """GET /Conferences/{ConferenceSid}/Participants.json (Muted/Hold/Coaching filters)."""
        with self.lock:
            conf = self._live_or_404(conference, create=False)
            items = []
            for p in conf.participants.values():
                if any(
                    k in params and truthy(first(params, k)) != getattr(p, k.lower())
                    for k in ("Muted", "Hold", "Coaching")
                ):
                    continue
                items.append(p.to_json())
        return items

    def update_participant(self, conference: str, call_sid: str, params: Params) -> dict[str, Any]:
        """POST /Conferences/{ConferenceSid}/Participants/{CallSid}.json: Hold (HoldUrl),
        Muted, Coaching/CallSidToCoach, AnnounceUrl, EndConferenceOnExit."""
        with self.lock:
            conf = self._live_or_404(conference, create=False)
            part = self._participant(conf, call_sid)
            part.date_updated = self.clock.now()
            if "Muted" in params:
                muted = truthy(first(params, "Muted"))
                if muted != part.muted:
                    part.muted = muted
                    event = "participant-mute" if muted else "participant-unmute"
                    self.conference_event(conf, event, part)
            if "HoldUrl" in params:
                part.hold_url = first(params, "HoldUrl")
                part.hold_method = (first(params, "HoldMethod") or "GET").upper()
            if "Hold" in params:
                hold = truthy(first(params, "Hold"))
                if hold != part.hold:
                    part.hold = hold
                    self.conference_event(conf, "participant-hold" if hold else
                                          "participant-unhold", part)  # fmt: skip
                    if hold and part.status == "connected":
                        self._hold_music(conf, part)
            modified = False
            if "Coaching" in params or "CallSidToCoach" in params:
                part.coaching = truthy(first(params, "Coaching"), part.coaching)
                part.call_sid_to_coach = first(params, "CallSidToCoach", part.call_sid_to_coach)
                if not part.coaching:
                    part.call_sid_to_coach = None
                modified = True
            if "EndConferenceOnExit" in params:
                part.end_conference_on_exit = truthy(first(params, "EndConferenceOnExit"))
                modified = True
            if modified:
                self.conference_event(conf, "participant-modify", part)
            if first(params, "AnnounceUrl"):
                method = (first(params, "AnnounceMethod") or "POST").upper()
                self.announce(conf, first(params, "AnnounceUrl"), method, part)
            return part.to_json()

    def delete_participant(self, conference: str, call_sid: str) -> None:
        """DELETE /Conferences/{ConferenceSid}/Participants/{CallSid}.json: kick. A call that
        joined by TwiML continues after its <Dial>; a REST participant's call hangs up."""
        with self.lock:
            conf = self._live_or_404(conference, create=False)
            part = self._participant(conf, call_sid)
            call = self.calls[part.call_sid]
            if part.status != "connected":
                self.end_call(call, "canceled")
                return
            call.conference_sid = conf.sid
            self.leave_conference(call, "participant_kicked", resume=True)
