"""The workflow's tunables: timeouts, retries, call windows and the specialty map.

Defaults follow the issue; a deployment overrides any of them with
``settings.extra["workflow"]`` or the ``SAMPARK_WORKFLOW`` environment variable
(a JSON object), e.g. ``{"offer_timeout_s": 30, "call_window": ["09:00", "19:00"]}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core.clock import CallWindow
from core.settings import Settings

#: Complaint key (IVR) -> specialty key; anything else goes to general medicine.
DEFAULT_SPECIALTY_MAP: dict[str, str] = {
    "pregnancy": "obgyn",
    "child_illness": "paediatrics",
    "skin": "dermatology",
}


@dataclass(frozen=True)
class WorkflowConfig:
    """Every timer and limit of a consultation, in seconds unless named otherwise.

    Attributes:
        anm_ring_timeout_s: how long an ANM's phone rings before she is skipped.
        anm_menu_grace_s: time to hear the summary and choose, after answering.
        anm_later_delay_s: when an ANM who pressed 2 is called again.
        offer_timeout_s: how long a doctor's offer rings (Twilio ``Timeout``).
        offer_menu_grace_s: time to hear the case and press 1, after answering.
        max_missed_offers: offers missed in a row before a doctor is set unavailable.
        patient_retry_delays_s: waits before each new try of an unanswered patient leg.
        patient_ring_timeout_s: how long a patient's phone rings on a call-back.
        patient_wait_limit_s: longest a patient waits on the line before a call-back instead.
        call_window: IST wall-clock hours in which non-urgent patients are called.
        doctor_recheck_s: how often a consultation with no free doctor looks again.
        bridge_grace_s: how long the bridge may take before the sweeper steps in.
        conference_max_s: after this a conference with no end event is taken as ended.
        prescription_reminder_s: when the doctor is reminded to write the prescription.
        lost_leg_after_s: a leg sent to Twilio with no answer and no callback by then is lost.
        intake_silence_s: an intake call that has sent no webhook for this long is taken as
            ended (its status callback was lost): the intake is kept as abandoned.
        abandoned_grace_s: how long a half-finished intake waits before it is followed up
            (a caller who rings back at once resumes it instead).
        prescription_close_s: after the reminder, how long a consultation waits for its
            prescription before it is closed as ``no-prescription-written``.
        prescribed_close_s: how long a prescribed consultation stays open (dispensing,
            corrections) before it is closed.
        unreachable_close_s: how long an unreachable patient's consultation stays open (the
            patient may ring back, the ANM may visit) before it is closed.
        specialty_map: complaint key -> specialty key.
        child_age_years: a patient younger than this goes to paediatrics.
    """

    anm_ring_timeout_s: int = 30
    anm_menu_grace_s: int = 60
    anm_later_delay_s: int = 900
    offer_timeout_s: int = 45
    offer_menu_grace_s: int = 45
    max_missed_offers: int = 3
    patient_retry_delays_s: tuple[int, ...] = (300, 900, 3600)
    patient_ring_timeout_s: int = 40
    patient_wait_limit_s: int = 600
    call_window: tuple[str, str] = ("08:00", "20:00")
    doctor_recheck_s: int = 60
    bridge_grace_s: int = 120
    conference_max_s: int = 7200
    prescription_reminder_s: int = 1800
    lost_leg_after_s: int = 180
    intake_silence_s: int = 300
    abandoned_grace_s: int = 120
    prescription_close_s: int = 86400
    prescribed_close_s: int = 14 * 86400
    unreachable_close_s: int = 3 * 86400
    specialty_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SPECIALTY_MAP))
    child_age_years: int = 12

    @property
    def window(self) -> CallWindow:
        """The call window (IST wall-clock hours)."""
        return CallWindow.of(self.call_window)

    def with_overrides(self, values: dict[str, Any]) -> WorkflowConfig:
        """A copy with ``values`` applied; unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown workflow settings: {', '.join(sorted(unknown))}")
        coerced: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in values.items()
            if k != "specialty_map"
        }
        if "specialty_map" in values:
            coerced["specialty_map"] = {**DEFAULT_SPECIALTY_MAP, **values["specialty_map"]}
        return replace(self, **coerced)


_cache: dict[int, tuple[Settings, WorkflowConfig]] = {}


def workflow_config(settings: Settings) -> WorkflowConfig:
    """The workflow configuration for ``settings`` (environment, then ``extra``)."""
    key = id(settings)
    if key not in _cache:
        config = WorkflowConfig()
        raw = os.environ.get("SAMPARK_WORKFLOW")
        if raw:
            config = config.with_overrides(json.loads(raw))
        extra = settings.extra.get("workflow") if settings.extra else None
        if extra:
            config = config.with_overrides(dict(extra))
        _cache[key] = (settings, config)  # the settings kept alive so the id stays theirs
    return _cache[key][1]
