"""The values the IVR engine works on: where a call stands, what the caller did, what
an answer changes, and what the engine may ask of the database (``Lookups``,
``Staffing``). ``ivr.engine`` re-exports them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
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


#: ``Effects`` field metadata: whether the fast path (``ivr.fastpath``) can carry an
#: effect of this kind. A kind that does not say so is taken by the full path.
FAST_PATH = "fast_path"


_FAST = {FAST_PATH: True}  # the fast path can carry it
_FULL = {FAST_PATH: False}  # the full path only


@dataclass
class Effects:
    """What an answer changes; applied by the store in the webhook's transaction.

    Each field is an effect kind and declares (``FAST_PATH``) whether the fast path can
    carry it: only the call's own rows (answers, the consultation's and patients'
    columns) can; anything that creates rows, reads the database or changes a state
    cannot. ``full_path_kinds`` names the kinds present that need the full path.
    """

    # the call's own rows: the fast path carries these
    answers: dict[str, str] = field(default_factory=dict, metadata=_FAST)  # question -> value
    consultation: dict[str, Any] = field(default_factory=dict, metadata=_FAST)  # column -> value
    patient: dict[str, Any] = field(default_factory=dict, metadata=_FAST)  # the call's patient
    caller: dict[str, Any] = field(default_factory=dict, metadata=_FAST)  # the caller's own row
    # rows created, states changed, other tables: the full path only
    link_patient: str | None = field(default=None, metadata=_FULL)  # self / child / relative
    danger_sign: str | None = field(default=None, metadata=_FULL)
    outcome: str | None = field(default=None, metadata=_FULL)  # intake_complete, emergency…
    reason: str = field(default="", metadata=_FULL)  # why the outcome (only with one)
    sms_script: str | None = field(default=None, metadata=_FULL)  # "native" or "roman"

    def full_path_kinds(self) -> list[str]:
        """The effect kinds present (non-empty) that the fast path cannot carry."""
        return [name for name in _full_path(type(self))[0] if getattr(self, name)]

    def needs_full_path(self) -> bool:
        """Whether any effect present is of a kind the fast path cannot carry (hot path)."""
        return any(_full_path(type(self))[1](self))


#: Per ``Effects`` class: the fields not declared as carried by the fast path, and a
#: reader of their values at once (``attrgetter``: one C call on the hot path).
_FULL_PATH: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _full_path(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    known = _FULL_PATH.get(cls)
    if known is None:
        names = tuple(f.name for f in fields(cls) if not f.metadata.get(FAST_PATH, False))
        getter = operator.attrgetter(*names, names[0])  # two names at least: always a tuple
        known = _FULL_PATH[cls] = (names, getter)
    return known


@dataclass
class Answered:
    goto: str  # the node to enter next (may be the same node)
    before: list[Line] = field(default_factory=list)  # said before the next question
    effects: Effects = field(default_factory=Effects)
    repeat: bool = False  # staying at the same node (counters kept)
