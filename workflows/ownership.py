"""Who owns each open consultation state, what its deadline is, and what the sweeper does then.

The one table of the promise that nobody who calls is forgotten: every state that
``TRANSITIONS`` lets a consultation leave is listed here with the party that moves it
on, the deadline by which it must have moved, and the sweeper's rule when it has not.
``tests/workflows/test_ownership.py`` walks ``TRANSITIONS`` and fails for any open state
missing here, and drives each one past its deadline through the real sweeper.

``intake`` is the one state whose deadline is not on the row: the IVR's webhooks stamp
the call's session, and a call silent for ``intake_silence_s`` is taken as ended
(``ivr.stale``). Every other open state keeps ``state_deadline_at``; a row in one of them
with no deadline at all is overdue (``ops.sweeper``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from models import TERMINAL_STATES, ConsultationState

S = ConsultationState


@dataclass(frozen=True)
class Ownership:
    """One open state's owner, deadline and sweeper rule (the text an operator reads)."""

    owner: str
    deadline: str
    on_deadline: str


OPEN_STATES: Mapping[ConsultationState, Ownership] = MappingProxyType(
    {
        S.INTAKE: Ownership(
            "the IVR, on the patient's own call",
            "the call's last webhook + intake_silence_s",
            "the call is taken as ended (its status callback was lost): abandoned",
        ),
        S.ABANDONED: Ownership(
            "the follow-up policy (workflows.abandoned)",
            "hang-up + abandoned_grace_s; then the restart call's ring + lost_leg_after_s",
            "consent and complaint known: ANM and call-back; refused: cancelled; "
            "little known: one call-back offering to restart; after it: closed",
        ),
        S.INTAKE_COMPLETE: Ownership(
            "the workflow's hand-off job",
            "none on the row: overdue HANDOFF_GRACE_S after the intake",
            "start: call the spoke's ANM",
        ),
        S.EMERGENCY: Ownership(
            "the workflow's hand-off job",
            "none on the row: overdue HANDOFF_GRACE_S after the intake",
            "start: call the spoke's ANM at once (any hour)",
        ),
        S.CALLING_ANM: Ownership(
            "the ANM's phone",
            "anm_ring_timeout_s + anm_menu_grace_s",
            "skip to the next ANM, or on to the doctors",
        ),
        S.FINDING_DOCTOR: Ownership(
            "the doctor queue (offers)",
            "offer_timeout_s + offer_menu_grace_s, or doctor_recheck_s",
            "the offer is missed: the next doctor, or look again",
        ),
        S.BRIDGING: Ownership(
            "the bridge (patient call-back, ANM join)",
            "patient_ring_timeout_s + bridge_grace_s",
            "call the patient again, or find another doctor",
        ),
        S.IN_CONFERENCE: Ownership(
            "the conference (reconciled with the provider's participants)",
            "conference_max_s",
            "the conference is taken as ended: ask for the prescription (prescribed if issued)",
        ),
        S.CALLBACK_SCHEDULED: Ownership(
            "the workflow's timer",
            "the retry time (patient_retry_delays_s) inside the call window",
            "call again: ANM reminder or the doctor queue",
        ),
        S.AWAITING_PRESCRIPTION: Ownership(
            "the doctor, in the portal",
            "prescription_reminder_s; after the reminder, prescription_close_s",
            "remind the doctor once; then close as no-prescription-written",
        ),
        S.PRESCRIBED: Ownership(
            "the ANM (dispensing, follow-up)",
            "prescribed_close_s",
            "close",
        ),
        S.UNREACHABLE: Ownership(
            "the patient and the ANM, both told by SMS",
            "unreachable_close_s",
            "close",
        ),
    }
)

#: Open states whose deadline is ``state_deadline_at`` (every open state but ``intake``).
DEADLINE_STATES = frozenset(OPEN_STATES) - {S.INTAKE}

assert not set(OPEN_STATES) & TERMINAL_STATES, "a terminal state cannot be open"
