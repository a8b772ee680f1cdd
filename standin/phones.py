"""Phones with a script: how the far end of each number behaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["answer", "no-answer", "busy", "failed", "machine", "manual"]
SmsOutcome = Literal["delivered", "undelivered", "unknown", "landline", "failed"]

# Twilio's delivery error codes (https://www.twilio.com/docs/api/errors/30003 ... /30008).
SMS_ERRORS: dict[str, tuple[str, int, str]] = {
    "undelivered": ("undelivered", 30003, "Unreachable destination handset"),
    "unknown": ("undelivered", 30005, "Unknown destination handset"),
    "landline": ("undelivered", 30006, "Landline or unreachable carrier"),
    "failed": ("failed", 30008, "Unknown error"),
    # a region's content rule (standin/regions.py, shortened URLs in India)
    "filtered": ("undelivered", 30007, "Message filtered"),
}


@dataclass
class PhoneScript:
    """What a phone does when it rings or calls.

    Attributes:
        answer_after: seconds of ringing before it answers.
        outcome: answer | no-answer (rings out after the call's Timeout) | busy | failed |
            machine (voicemail; AnsweredBy=machine_start when MachineDetection was asked) |
            manual (rings until ``StandIn.answer`` or the call's Timeout).
        digits: keys pressed at the n-th <Gather> (None = no input), e.g. ["1", None, "2#"].
        speech: phrase spoken at the n-th <Gather> (None = silence).
        record_seconds: seconds spoken at <Record> ("silence" = nothing); a list gives one
            value per <Record>.
        hangup_at_step: hang up when the call reaches its k-th TwiML verb (1-based).
        hangup_after: hang up this many seconds after answering (after connecting, for a
            caller).
        sms_outcome: what happens to an SMS sent to this number.
    """

    answer_after: float = 3.0
    outcome: Outcome = "answer"
    digits: list[str | None] = field(default_factory=list)
    speech: list[str | None] = field(default_factory=list)
    record_seconds: float | str | list[float | str] | None = "silence"
    hangup_at_step: int | None = None
    hangup_after: float | None = None
    sms_outcome: SmsOutcome = "delivered"

    def digits_at(self, index: int) -> str | None:
        """Keys for the ``index``-th Gather (0-based)."""
        return self.digits[index] if index < len(self.digits) else None

    def speech_at(self, index: int) -> str | None:
        """Phrase for the ``index``-th Gather (0-based)."""
        return self.speech[index] if index < len(self.speech) else None

    def record_at(self, index: int) -> float:
        """Seconds of speech for the ``index``-th Record (0 = silence)."""
        value = self.record_seconds
        if isinstance(value, list):
            value = value[index] if index < len(value) else "silence"
        if value is None or value == "silence":
            return 0.0
        return float(value)


DEFAULT_SCRIPT = PhoneScript()


@dataclass
class InboxItem:
    """An SMS a phone received."""

    sid: str
    from_: str
    body: str
    date: str

    def as_dict(self) -> dict[str, str]:
        """JSON-able form."""
        return {"sid": self.sid, "from": self.from_, "body": self.body, "date": self.date}
