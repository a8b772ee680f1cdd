"""The stand-in's resources, rendered in Twilio's JSON shape (the 2xx schemas of
../shared/twilio/twilio_api_v2010.json: api.v2010.account.call, .conference, .participant,
.message, .recording, .incoming_phone_number)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from standin.util import API_VERSION, rfc2822

ACC = "/2010-04-01/Accounts/{account}"
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass
class Call:
    """A call leg (Twilio's Call resource) plus what the engine needs to run it."""

    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str  # inbound | outbound-api | outbound-dial
    date_created: datetime
    status: str = "queued"
    parent_call_sid: str | None = None
    phone_number_sid: str | None = None
    forwarded_from: str | None = None
    date_updated: datetime | None = None
    start_time: datetime | None = None
    answered_at: datetime | None = None
    end_time: datetime | None = None
    answered_by: str | None = None
    # how to run it
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: set[str] = field(default_factory=set)
    timeout: float = 60.0
    machine_detection: str | None = None
    record: bool = False
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    time_limit: float | None = None
    queue_time_ms: int = 0
    fetch_times: list[float] = field(default_factory=list)
    # engine state
    gen: int = 0
    program: list[Any] = field(default_factory=list)
    pc: int = 0
    doc_url: str | None = None
    steps: int = 0
    gather_index: int = 0
    record_index: int = 0
    typeahead: str = ""
    waiting: dict[str, Any] | None = None  # the Gather/Record/Dial in progress
    conference_sid: str | None = None
    join: dict[str, Any] | None = None  # REST participant: join this conference when answered
    dial_child: str | None = None
    callback_seq: int = 0
    number_status_callback: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def final(self) -> bool:
        """Whether the call has ended."""
        return self.status in FINAL_CALL_STATUSES

    def duration(self) -> int:
        """Seconds from answer to end (Twilio's ``duration`` / CallDuration)."""
        if self.answered_at is None or self.end_time is None:
            return 0
        return round((self.end_time - self.answered_at).total_seconds())

    def to_json(self) -> dict[str, Any]:
        """Twilio's Call resource."""
        base = ACC.format(account=self.account_sid) + f"/Calls/{self.sid}"
        return {
            "sid": self.sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "parent_call_sid": self.parent_call_sid,
            "account_sid": self.account_sid,
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "from_formatted": self.from_,
            "phone_number_sid": self.phone_number_sid,
            "status": self.status,
            "start_time": rfc2822(self.start_time),
            "end_time": rfc2822(self.end_time),
            "duration": str(self.duration()) if self.final else None,
            "price": None,
            "price_unit": "USD",
            "direction": self.direction,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "forwarded_from": self.forwarded_from,
            "group_sid": None,
            "caller_name": None,
            "queue_time": str(self.queue_time_ms),
            "trunk_sid": None,
            "uri": base + ".json",
            "subresource_uris": {
                "notifications": base + "/Notifications.json",
                "recordings": base + "/Recordings.json",
                "events": base + "/Events.json",
                "siprec": base + "/Siprec.json",
                "streams": base + "/Streams.json",
                "transcriptions": base + "/Transcriptions.json",
                "user_defined_message_subscriptions": base
                + "/UserDefinedMessageSubscriptions.json",
                "user_defined_messages": base + "/UserDefinedMessages.json",
                "payments": base + "/Payments.json",
            },
        }


@dataclass
class Participant:
    """A call's membership of a conference (Twilio's Participant resource)."""

    call_sid: str
    conference_sid: str
    account_sid: str
    date_created: datetime
    label: str | None = None
    status: str = "queued"  # queued|connecting|ringing|connected|complete|failed
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    beep: str = "true"
    wait_url: str | None = None
    wait_method: str = "POST"
    hold_url: str | None = None
    hold_method: str = "GET"
    date_updated: datetime | None = None
    via_rest: bool = False

    def to_json(self) -> dict[str, Any]:
        """Twilio's Participant resource."""
        return {
            "account_sid": self.account_sid,
            "call_sid": self.call_sid,
            "label": self.label,
            "call_sid_to_coach": self.call_sid_to_coach,
            "coaching": self.coaching,
            "conference_sid": self.conference_sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "end_conference_on_exit": self.end_conference_on_exit,
            "muted": self.muted,
            "hold": self.hold,
            "start_conference_on_enter": self.start_conference_on_enter,
            "status": self.status,
            "queue_time": "0",
            "uri": ACC.format(account=self.account_sid)
            + f"/Conferences/{self.conference_sid}/Participants/{self.call_sid}.json",
        }


@dataclass
class Conference:
    """A named conference room (Twilio's Conference resource)."""

    sid: str
    account_sid: str
    friendly_name: str
    date_created: datetime
    status: str = "init"  # init | in-progress | completed
    date_updated: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reason_conference_ended: str | None = None
    call_sid_ending_conference: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: set[str] = field(default_factory=set)
    record: bool = False
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    participants: dict[str, Participant] = field(default_factory=dict)  # connected, by CallSid
    pending: set[str] = field(default_factory=set)  # REST participants still ringing
    history: list[str] = field(default_factory=list)  # every CallSid that ever joined
    callback_seq: int = 0

    def to_json(self) -> dict[str, Any]:
        """Twilio's Conference resource."""
        base = ACC.format(account=self.account_sid) + f"/Conferences/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "api_version": API_VERSION,
            "friendly_name": self.friendly_name,
            "region": "in1",
            "sid": self.sid,
            "status": self.status,
            "uri": base + ".json",
            "subresource_uris": {
                "participants": base + "/Participants.json",
                "recordings": base + "/Recordings.json",
            },
            "reason_conference_ended": self.reason_conference_ended,
            "call_sid_ending_conference": self.call_sid_ending_conference,
        }


@dataclass
class Message:
    """An SMS (Twilio's Message resource)."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    direction: str  # outbound-api | inbound | outbound-reply
    date_created: datetime
    status: str = "queued"
    num_media: int = 0
    num_segments: int = 1
    encoding: str = "GSM-7"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    date_sent: datetime | None = None
    date_updated: datetime | None = None
    media_urls: list[str] = field(default_factory=list)
    shown_from: str | None = None  # the sender the phone shows (a region may rewrite it)

    def to_json(self) -> dict[str, Any]:
        """Twilio's Message resource."""
        base = ACC.format(account=self.account_sid) + f"/Messages/{self.sid}"
        return {
            "body": self.body,
            "num_segments": str(self.num_segments),
            "direction": self.direction,
            "from": self.from_,
            "to": self.to,
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "price": None,
            "error_message": self.error_message,
            "uri": base + ".json",
            "account_sid": self.account_sid,
            "num_media": str(self.num_media),
            "status": self.status,
            "messaging_service_sid": self.messaging_service_sid,
            "sid": self.sid,
            "date_sent": rfc2822(self.date_sent),
            "date_created": rfc2822(self.date_created),
            "error_code": self.error_code,
            "price_unit": "USD",
            "api_version": API_VERSION,
            "subresource_uris": {
                "media": base + "/Media.json",
                "feedback": base + "/Feedback.json",
            },
        }


@dataclass
class Recording:
    """A call or conference recording (Twilio's Recording resource)."""

    sid: str
    account_sid: str
    call_sid: str | None
    conference_sid: str | None
    date_created: datetime
    start_time: datetime
    duration: int
    source: str  # RecordVerb | OutboundAPI | DialVerb | Conference | StartConferenceRecordingAPI
    status: str = "completed"
    channels: int = 1
    silent: bool = False

    def to_json(self, media_base: str) -> dict[str, Any]:
        """Twilio's Recording resource."""
        base = ACC.format(account=self.account_sid) + f"/Recordings/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid": self.call_sid,
            "conference_sid": self.conference_sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "start_time": rfc2822(self.start_time),
            "duration": str(self.duration),
            "sid": self.sid,
            "price": None,
            "price_unit": "USD",
            "status": self.status,
            "channels": self.channels,
            "source": self.source,
            "error_code": None,
            "uri": base + ".json",
            "encryption_details": None,
            "subresource_uris": {
                "add_on_results": base + "/AddOnResults.json",
                "transcriptions": base + "/Transcriptions.json",
            },
            "media_url": media_base + base,
        }


@dataclass
class PhoneNumber:
    """One of our numbers (Twilio's IncomingPhoneNumber resource)."""

    sid: str
    account_sid: str
    phone_number: str
    date_created: datetime
    friendly_name: str = ""
    voice_url: str | None = None
    voice_method: str = "POST"
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None
    sms_method: str = "POST"
    sms_fallback_url: str | None = None
    sms_fallback_method: str = "POST"
    date_updated: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """Twilio's IncomingPhoneNumber resource."""
        return {
            "account_sid": self.account_sid,
            "address_sid": None,
            "address_requirements": "none",
            "api_version": API_VERSION,
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "friendly_name": self.friendly_name or self.phone_number,
            "identity_sid": None,
            "phone_number": self.phone_number,
            "origin": "twilio",
            "sid": self.sid,
            "sms_application_sid": None,
            "sms_fallback_method": self.sms_fallback_method,
            "sms_fallback_url": self.sms_fallback_url or "",
            "sms_method": self.sms_method,
            "sms_url": self.sms_url or "",
            "status_callback": self.status_callback or "",
            "status_callback_method": self.status_callback_method,
            "trunk_sid": None,
            "uri": ACC.format(account=self.account_sid) + f"/IncomingPhoneNumbers/{self.sid}.json",
            "voice_receive_mode": "voice",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": self.voice_fallback_method,
            "voice_fallback_url": self.voice_fallback_url or "",
            "voice_method": self.voice_method,
            "voice_url": self.voice_url or "",
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": "local",
        }
