"""The gateway's conference requests: participants dialled in, held, removed, and listed.

A mixin of :class:`telephony.gateway.TelephonyGateway` (the one entry point callers use);
every request goes through the gateway's ``_request`` (classified errors, one log line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from twilio.rest import Client

from telephony.errors import PermanentGatewayError

T = TypeVar("T")
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
#: Conference statuses in which Twilio lists participants (``init``: people waiting for
#: one who starts it; ``in-progress``). A ``completed`` conference lists none.
LIVE_CONFERENCE = ("in-progress", "init")


def bool_text(value: bool | str) -> str:
    """Twilio's string form of a flag (``Beep`` is a string: true/false/onEnter/onExit)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def opt(value: Any) -> Any:
    """twilio-python's "not given" marker for None."""
    from twilio.base import values

    return values.unset if value is None else value


class ConferenceRequests:
    """Conference participants: add, hold/mute/coach, remove, and who is in it now."""

    client: Client

    def _request(
        self, method: str, resource: str, send: Callable[[], T], to: str | None = None
    ) -> T:
        raise NotImplementedError  # the gateway's

    def _refuse_fictional(self, *numbers: str | None) -> None:
        raise NotImplementedError  # the gateway's

    def add_participant(
        self,
        conference_name: str,
        *,
        to: str,
        from_: str,
        label: str | None,
        status_callback: str,
        status_events: Iterable[str] = CALL_EVENTS,
        start_on_enter: bool = True,
        end_on_exit: bool = False,
        wait_url: str | None = None,
        beep: bool | str = False,
        record: bool = False,
        timeout: int | None = None,
        muted: bool | None = None,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        conference_status_callback: str | None = None,
        conference_events: Iterable[str] | None = None,
    ) -> str:
        """Dial ``to`` into the conference named ``conference_name``. Returns the CallSid."""
        self._refuse_fictional(to)
        conference_cb = conference_status_callback
        participant = self._request(
            "POST",
            "participants.create",
            lambda: self.client.conferences(conference_name).participants.create(
                from_=from_,
                to=to,
                label=opt(label),
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=list(status_events),
                start_conference_on_enter=start_on_enter,
                end_conference_on_exit=end_on_exit,
                wait_url=opt(wait_url),
                wait_method="POST" if wait_url else opt(None),
                beep=bool_text(beep),
                record=record,
                timeout=opt(timeout),
                muted=opt(muted),
                coaching=opt(coaching),
                call_sid_to_coach=opt(call_sid_to_coach),
                conference_status_callback=opt(conference_cb),
                conference_status_callback_method="POST" if conference_cb else opt(None),
                conference_status_callback_event=(
                    list(conference_events) if conference_events else opt(None)
                ),
            ),
            to,
        )
        return str(participant.call_sid)

    def conference_sid(self, conference_sid_or_name: str) -> str:
        """The SID of the in-progress conference with this name (a SID is returned as is)."""
        if conference_sid_or_name.startswith("CF") and len(conference_sid_or_name) == 34:
            return conference_sid_or_name
        found = self._request(
            "GET",
            "conferences.list",
            lambda: self.client.conferences.list(
                friendly_name=conference_sid_or_name, status="in-progress", limit=1
            ),
        )
        if not found:
            raise PermanentGatewayError(
                20404, 404, f"no conference in progress named {conference_sid_or_name!r}"
            )
        return str(found[0].sid)

    def update_participant(
        self,
        conference_sid_or_name: str,
        call_sid: str,
        *,
        hold: bool | None = None,
        muted: bool | None = None,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        hold_url: str | None = None,
        announce_url: str | None = None,
        end_conference_on_exit: bool | None = None,
    ) -> None:
        """Hold, mute, coach or announce to one participant."""
        conference = self.conference_sid(conference_sid_or_name)
        self._request(
            "POST",
            "participants.update",
            lambda: (
                self.client.conferences(conference)
                .participants(call_sid)
                .update(
                    hold=opt(hold),
                    muted=opt(muted),
                    coaching=opt(coaching),
                    call_sid_to_coach=opt(call_sid_to_coach),
                    hold_url=opt(hold_url),
                    hold_method="POST" if hold_url else opt(None),
                    announce_url=opt(announce_url),
                    announce_method="POST" if announce_url else opt(None),
                    end_conference_on_exit=opt(end_conference_on_exit),
                )
            ),
        )

    def remove_participant(self, conference_sid_or_name: str, call_sid: str) -> None:
        """Take a participant out of the conference (their call ends)."""
        conference = self.conference_sid(conference_sid_or_name)
        self._request(
            "DELETE",
            "participants.delete",
            lambda: self.client.conferences(conference).participants(call_sid).delete(),
        )

    def live_participants(self, conference_name: str) -> list[dict[str, Any]]:
        """Who is in the live conference named ``conference_name`` now (Twilio's view).

        Twilio finds a conference by name only through the list filtered by
        ``FriendlyName`` (one ``Status`` per request: ``in-progress``, else ``init``), then
        lists its Participants. Participants are only listed while they are connecting or
        connected to a conference that is not completed: no live conference means nobody is
        in it. A conference that ends between the two requests (404) counts as empty.

        Returns:
            One dict per participant: ``conference_sid``, ``call_sid``, ``label``,
            ``status`` (queued, connecting, ringing, connected, complete, failed), ``hold``.
        """
        found: list[Any] = []
        for status in LIVE_CONFERENCE:
            found = self._request("GET", "conferences.list", self._by_name(conference_name, status))
            if found:
                break
        people: list[dict[str, Any]] = []
        for conference in found:
            sid = str(conference.sid)
            try:
                listed = self._request("GET", "participants.list", self._participants_of(sid))
            except PermanentGatewayError as exc:
                if exc.status == 404:  # it ended meanwhile: nobody is in it
                    continue
                raise
            people += [
                {
                    "conference_sid": sid,
                    "call_sid": p.call_sid,
                    "label": p.label,
                    "status": p.status,
                    "hold": p.hold,
                }
                for p in listed
            ]
        return people

    def _by_name(self, name: str, status: str) -> Callable[[], list[Any]]:
        return lambda: self.client.conferences.list(friendly_name=name, status=status, limit=5)

    def _participants_of(self, sid: str) -> Callable[[], list[Any]]:
        return lambda: self.client.conferences(sid).participants.list(limit=100)
