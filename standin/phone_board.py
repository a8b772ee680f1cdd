"""The browser phone page's state in the engine: which phones the browser drives, which calls
it shows, and the events it reads (``standin/phone_api.py`` serves them, ``interactive.py``
writes them).

Nothing here runs until the page is used (``PhoneBoard.active``): tests and load runs that
never open ``/_standin/phone`` pay one attribute check per timeline entry.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

#: Who answers outbound calls while the page is open: ``unscripted`` (the browser answers
#: calls to numbers with no script; scripted phones keep their script and are shown),
#: ``all`` (the browser answers every outbound call), ``none`` (shown only).
StaffMode = Literal["unscripted", "all", "none"]
STAFF_MODES: tuple[str, ...] = ("unscripted", "all", "none")
MAX_EVENTS = 5000
MAX_UPLOAD_BYTES = 4 * 1024 * 1024


@dataclass
class PhoneBoard:
    """State of the browser phones (guarded by the engine's lock).

    Attributes:
        active: the page has been used; only then are calls shown and events kept.
        staff: who answers outbound calls (see ``StaffMode``).
        pace: how much longer a browser phone's prompts last than the engine's estimate
            (words / 2.5 s): the browser's speech lags a little, and a Gather's timeout
            starts when its prompt ends, as on a real phone.
        own: the numbers the browser has called from (its patients' phones).
        browser_phones: numbers the browser drives (its own numbers, staff phones it answers).
        shown: CallSids the page shows.
        labels: names for numbers ("ANM Sunita Devi"), shown on the page.
        audio: uploaded recordings (RecordingSid -> WAV bytes), served as their media.
    """

    active: bool = False
    staff: StaffMode = "unscripted"
    pace: float = 1.25
    own: set[str] = field(default_factory=set)
    browser_phones: set[str] = field(default_factory=set)
    shown: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    audio: dict[str, bytes] = field(default_factory=dict)
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    next_seq: int = 0

    def emit(self, call_sid: str, phone: str, kind: str, **fields: Any) -> None:
        """Add one event about ``call_sid`` on the phone at ``phone``."""
        self.events.append(
            {
                "n": self.next_seq,
                "call_sid": call_sid,
                "phone": phone,
                "interactive": phone in self.browser_phones,
                "kind": kind,
                **fields,
            }
        )
        self.next_seq += 1

    def since(self, after: int) -> list[dict[str, Any]]:
        """Events numbered ``after`` and later (older ones may have been dropped)."""
        return [e for e in self.events if e["n"] >= after]

    def settings(self) -> dict[str, Any]:
        """The page's settings as JSON."""
        return {"staff": self.staff, "pace": self.pace, "labels": dict(self.labels)}
