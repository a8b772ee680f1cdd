"""The intake flow, declared as data (in the spirit of RapidPro/goflow flows).

A flow is an ordered list of nodes. Each node asks one thing (a menu, a number,
a recording, or a yes/no per danger sign), says where its answer is stored, and
where to go next: by default the following node, or a ``goto`` per choice. A node
whose ``ask_if`` does not hold for the call's variables is skipped. The engine
(``ivr.engine``) interprets this; nothing here touches the database or TwiML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: ``ask_if`` value meaning "this variable is set (not None)".
PRESENT = "<present>"
#: ``ask_if`` value meaning "this variable is unset (None or missing)".
ABSENT = "<absent>"

Kind = Literal["menu", "digits", "record", "signs", "final", "handover"]

#: Call variable: whether the caller may stay on the line for the consultation now
#: (someone can come: inside the workflow's call window, a doctor on duty). Looked up
#: once, on the full path, when the ``stay`` node is first reached (``ivr.stay``).
STAY_OFFER = "stay_offer"
#: Set on a call whose caller ID we cannot ring back (``core.phones.reach``): nothing
#: the IVR says may promise a call-back.
NO_CALLBACK = "no_callback"
#: Set on a call from a registered, active ANM or pharmacist (``models.district.rx_verifier``,
#: looked up once at the start with the prescription offer, ``ivr.returning``): she is
#: offered a prescription code check first.
VERIFIER = "verifier"


@dataclass(frozen=True)
class Node:
    """One step of the flow.

    Attributes:
        id: the node's name (also the question stored in ``IntakeAnswer``).
        kind: menu (one key), digits (a number ended by #), record, signs (yes/no
            per danger sign of the complaint), final (says its words and ends),
            handover (the call leaves the IVR for the workflow's conference).
        prompt: catalog key of the question.
        choices: key pressed -> value stored (menus).
        goto: value -> node to go to (default: the next node in order).
        store: where the value goes: ``"consultation.<column>"``, ``"patient.<column>"``,
            ``"var"`` (call variable only) or ``None`` (the answer row only).
        ask_if: variable -> required value (PRESENT / ABSENT, or a tuple of allowed
            values); else skipped.
        minimum / maximum / max_digits / invalid_prompt: bounds of a digits node.
        max_length: seconds of a recording.
        optional: after the retries (or too many wrong keys), go on without an answer
            (or with ``on_no_input``) instead of ending.
        on_no_input: a value taken when nothing is pressed (e.g. default language).
        skip_on_no_input: nothing pressed means "go on without an answer", at once.
        outcome: reaching this (non-final) node already means this outcome for the
            consultation; the call goes on (e.g. the intake is complete before the
            optional SMS question).
    """

    id: str
    kind: Kind
    prompt: str
    choices: dict[str, str] = field(default_factory=dict)
    goto: dict[str, str] = field(default_factory=dict)
    store: str | None = None
    ask_if: dict[str, Any] = field(default_factory=dict)
    minimum: int = 0
    maximum: int = 0
    max_digits: int = 1
    invalid_prompt: str = "invalid_entry"
    max_length: int = 0
    optional: bool = False
    on_no_input: str | None = None
    skip_on_no_input: bool = False
    outcome: str | None = None


COMPLAINTS: dict[str, str] = {
    "1": "fever",
    "2": "cough_breathing",
    "3": "pregnancy",
    "4": "child_illness",
    "5": "diarrhoea_vomiting",
    "6": "skin",
    "7": "pain",
    "8": "bp_diabetes_followup",
    "9": "other",
}

#: Danger signs asked per complaint, in order; any "yes" is an emergency.
DANGER_SIGNS: dict[str, tuple[str, ...]] = {
    "fever": ("unconscious", "convulsions"),
    "cough_breathing": ("severe_breathlessness", "chest_pain"),
    "pregnancy": ("pregnancy_bleeding", "convulsions"),
    "child_illness": ("child_not_drinking", "convulsions", "unconscious"),
    "diarrhoea_vomiting": ("unconscious", "heavy_bleeding"),
    "skin": ("severe_breathlessness",),
    "pain": ("chest_pain", "heavy_bleeding"),
    "bp_diabetes_followup": ("chest_pain", "one_side_weakness"),
    "other": ("unconscious", "severe_breathlessness"),
}

YES, NO = "1", "2"

#: Languages whose SMS may be written in their own script or romanised (asked once).
NATIVE_SCRIPT_LANGUAGES = ("hi", "ur", "bn")

INTAKE: tuple[Node, ...] = (
    Node(
        # Only for an ANM or pharmacist (``VERIFIER``), in her language: check a
        # prescription's code by keypad, or go on (e.g. a consultation for a patient).
        "rx_check_offer",
        "menu",
        prompt="rx_check_offer",
        choices={"1": "consult", "2": "check"},
        goto={"check": "rx_check"},
        store="var",
        ask_if={VERIFIER: PRESENT, "rx_check_offer": ABSENT},
        optional=True,
        on_no_input="consult",  # silence (or keys gone wrong): on, as any caller
    ),
    Node(
        "language",
        "menu",
        prompt="language_option",
        choices={"1": "hi", "2": "ur", "3": "bn", "4": "en"},
        store="consultation.language",
        ask_if={"language_chosen": ABSENT},
        on_no_input="hi",  # Hindi by default
    ),
    Node(
        # Only for a caller with a current prescription (``has_rx``, one query at the start).
        "rx_offer",
        "menu",
        prompt="rx_offer",
        choices={"1": "consult", "5": "prescription"},
        goto={"prescription": "rx_read"},
        store="var",
        ask_if={"has_rx": PRESENT, "rx_offer": ABSENT},
        optional=True,
        on_no_input="consult",  # silence (or keys gone wrong): on with a new consultation
    ),
    Node(
        "spoke_confirm",
        "menu",
        prompt="spoke_confirm",
        choices={"1": "yes", "2": "no"},
        store="var",
        ask_if={"spoke_id": ABSENT, "spoke_guess": PRESENT},
    ),
    Node(
        "spoke_code",
        "digits",
        prompt="spoke_code",
        store="consultation.spoke_id",
        ask_if={"spoke_id": ABSENT},
        max_digits=4,
        invalid_prompt="spoke_code_unknown",
    ),
    Node(
        "consent",
        "menu",
        prompt="consent",
        choices={"1": "yes", "2": "no", "9": "change_language"},
        goto={"no": "consent_refused", "change_language": "language"},
        store="consultation.consent",
    ),
    Node(
        "for_whom",
        "menu",
        prompt="for_whom",
        choices={"1": "self", "2": "child", "3": "relative"},
        store="var",
    ),
    Node(
        "name",
        "record",
        prompt="name",
        store="patient.name_recording_url",
        ask_if={"patient_known": ABSENT},
        max_length=10,
        optional=True,
    ),
    Node(
        "age",
        "digits",
        prompt="age",
        store="patient.age_years",
        ask_if={"patient_known": ABSENT},
        minimum=0,
        maximum=120,
        max_digits=3,
        invalid_prompt="invalid_age",
    ),
    Node(
        "sex",
        "menu",
        prompt="sex",
        choices={"1": "female", "2": "male", "3": "other"},
        store="patient.sex",
        ask_if={"patient_known": ABSENT},
    ),
    Node(
        "complaint",
        "menu",
        prompt="complaint",
        choices=COMPLAINTS,
        store="consultation.complaint",
    ),
    Node(
        "days",
        "digits",
        prompt="days",
        store="consultation.days",
        minimum=0,
        maximum=365,
        max_digits=3,
    ),
    Node("danger", "signs", prompt="yes_no", choices={YES: "yes", NO: "no"}),
    Node(
        "description",
        "record",
        prompt="description",
        store="consultation.recording_url",
        max_length=60,
        optional=True,
    ),
    Node(
        # Asked once per phone (remembered on the caller's Patient, ``sms_script``).
        "sms_script",
        "menu",
        prompt="sms_script",
        choices={"1": "native", "2": "roman"},
        store="patient.sms_script",
        ask_if={"sms_script": ABSENT, "language_chosen": NATIVE_SCRIPT_LANGUAGES},
        optional=True,
        skip_on_no_input=True,  # silence keeps the default script
        outcome="intake_complete",  # everything medical is in: hand it on now
    ),
    Node(
        # After the reference number: stay on the line for the consultation now, or be
        # called back. Offered only when someone can come now (``STAY_OFFER``).
        "stay",
        "menu",
        prompt="stay_offer",
        choices={"1": "yes"},
        goto={"yes": "join"},
        ask_if={STAY_OFFER: True},
        optional=True,  # too many wrong keys: the call-back promise, as silence
        skip_on_no_input=True,  # silence (or a hang-up): called back, as before
        outcome="intake_complete",  # saved and handed on before the offer is heard
    ),
    Node("end", "final", prompt="end_next"),
    # Reached only by a goto:
    # The caller stays: the call is redirected into the consultation's conference
    # (``workflows.urls.patient_join``), where the ANM and the doctor join as they accept.
    Node("join", "handover", prompt=""),
    Node("consent_refused", "final", prompt="consent_refused"),
    Node("emergency", "menu", prompt="emergency_offer", choices={"1": "connect"}),
    Node("callback_end", "final", prompt="callback_promise"),
    # The latest prescription (reached from rx_offer): read aloud by the prescriptions
    # package, which comes back here (``rx_read``) when the listener is done.
    Node("rx_read", "menu", prompt="rx_next"),
    Node(
        "rx_next",
        "menu",
        prompt="rx_next",
        choices={"1": "consult", "2": "end"},
        goto={"consult": "spoke_confirm", "end": "rx_goodbye"},
        store="var",
        optional=True,
        on_no_input="end",  # silence (or keys gone wrong): goodbye
    ),
    Node("rx_goodbye", "final", prompt="rx_goodbye"),
    # A prescription code check (reached from rx_check_offer): asked and read by the
    # prescriptions package, which comes back here (``rx_check``) after reading it.
    Node("rx_check", "menu", prompt="rx_check_next"),
    Node(
        "rx_check_next",
        "menu",
        prompt="rx_check_next",
        choices={"1": "consult", "2": "check", "3": "end"},
        goto={"consult": "language", "check": "rx_check", "end": "rx_check_goodbye"},
        store="var",
        optional=True,
        on_no_input="end",  # silence (or keys gone wrong): goodbye
    ),
    Node("rx_check_goodbye", "final", prompt="rx_check_goodbye"),
)

#: Nodes where the call leaves the IVR for a webhook of the prescriptions package (path),
#: which reads to the caller and redirects back to the node; its answer goes on to the
#: second node. The IVR imports nothing of prescriptions (independent): URLs are the contract.
AWAY: dict[str, tuple[str, str]] = {
    "rx_read": ("/rx/latest", "rx_next"),  # the caller's latest prescription
    "rx_check": ("/rx/check", "rx_check_next"),  # a verifier keys a code and hears it
}

#: What reaching a final node means for the consultation.
OUTCOMES: dict[str, str] = {
    "end": "intake_complete",
    "join": "intake_complete",  # already: only the IVR's part of the call ends
    "consent_refused": "consent_refused",
    "callback_end": "abandoned",
    "rx_goodbye": "cancelled",
    "rx_check_goodbye": "cancelled",
}

#: Where a hang-up does not leave an abandoned intake: the caller only heard their
#: prescription, or checked one, so nothing is handed to the ANM.
HANG_UP_OUTCOMES: dict[str, str] = {
    "rx_read": "cancelled",
    "rx_next": "cancelled",
    "rx_check_offer": "cancelled",  # a verifier who said nothing of a patient
    "rx_check": "cancelled",
    "rx_check_next": "cancelled",
}
#: Why a consultation reached its outcome at these nodes (else by outcome, ``ivr.calls``).
NODE_REASONS: dict[str, str] = {
    "rx_check_offer": "verifier-hung-up",
    "rx_check": "prescription-checked",
    "rx_check_next": "prescription-checked",
    "rx_check_goodbye": "prescription-checked",
}

NODES: dict[str, Node] = {node.id: node for node in INTAKE}
ORDER: tuple[str, ...] = tuple(node.id for node in INTAKE[: INTAKE.index(NODES["end"]) + 1])
START = ORDER[0]


def next_in_order(node_id: str) -> str:
    """The node after ``node_id`` in the main sequence."""
    index = ORDER.index(node_id)
    return ORDER[min(index + 1, len(ORDER) - 1)]


def should_ask(node: Node, variables: dict[str, Any]) -> bool:
    """Whether ``node``'s ``ask_if`` holds for the call's variables."""
    for name, wanted in node.ask_if.items():
        value = variables.get(name)
        if wanted == PRESENT:
            if value is None:
                return False
        elif wanted == ABSENT:
            if value is not None:
                return False
        elif isinstance(wanted, tuple | list | frozenset):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def signs_for(complaint: str | None) -> tuple[str, ...]:
    return DANGER_SIGNS.get(complaint or "other", DANGER_SIGNS["other"])
