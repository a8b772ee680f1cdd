"""The values the IVR engine works on: where a call stands, what the caller did, what
an answer changes, and what the engine may ask of the database (``Lookups``,
``Staffing``). ``ivr.engine`` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ivr.flow import signs_for
from ivr.twiml import Line


@dataclass
class CallState:
    """Where a call stands: the node being asked, counters, language and variables."""

    node: str
    language: str = "hi"
    retries: int = 0
    errors: int = 0
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def step_id(self) -> str:
        """The node as named in the webhook URL (a danger sign names its sign)."""
        if self.node == "danger":
            return f"danger.{self.current_sign() or ''}"
        return self.node

    def current_sign(self) -> str | None:
        signs = signs_for(self.vars.get("complaint"))
        index = int(self.vars.get("sign_index") or 0)
        return signs[index] if index < len(signs) else None


@dataclass(frozen=True)
class Input:
    """What the caller did: keys pressed (None = nothing), or a recording made."""

    digits: str | None = None
    recording_url: str | None = None
    recording_sid: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.digits and not self.recording_url


@dataclass(frozen=True)
class SpokeInfo:
    id: int
    short_code: str
    ambulance_number: str  # the district's ambulance line (E.164), "" if none


class Lookups(Protocol):
    def spoke_by_code(self, code: str) -> SpokeInfo | None: ...


class Staffing(Protocol):
    """Whether someone can come now, for a caller who would stay on the line."""

    def someone_can_come(self, variables: dict[str, Any]) -> bool: ...


@dataclass
class Effects:
    """What an answer changes; applied by the store in the webhook's transaction."""

    answers: dict[str, str] = field(default_factory=dict)  # question -> value
    consultation: dict[str, Any] = field(default_factory=dict)  # column -> value
    patient: dict[str, Any] = field(default_factory=dict)  # the patient of the call
    caller: dict[str, Any] = field(default_factory=dict)  # the caller's own patient row
    link_patient: str | None = None  # "self" / "child" / "relative"
    danger_sign: str | None = None
    outcome: str | None = None  # intake_complete / emergency / abandoned / consent_refused
    reason: str = ""
    sms_script: str | None = None  # the caller's choice: "native" or "roman"


@dataclass
class Answered:
    goto: str  # the node to enter next (may be the same node)
    before: list[Line] = field(default_factory=list)  # said before the next question
    effects: Effects = field(default_factory=Effects)
    repeat: bool = False  # staying at the same node (counters kept)
