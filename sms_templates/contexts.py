"""What each purpose's templates need (the contract with the code that sends them).

``render`` checks the required names (a clear error lists what is missing) and sets
the optional ones it was not given to ``None``. Values may be plain data or model
rows; medicines are ``PrescriptionItem`` rows or dicts with ``name, strength, form,
dose, frequency, duration_days``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sms_templates.compact import field


@dataclass(frozen=True)
class ContextSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


_RX_OPTIONAL = ("advice", "tests", "notes", "follow_up_on", "referral_to", "referral_urgency")
#: Free text broken into DLT-sized lines (``render``): a string, or a list of texts.
TEXT_FIELDS = ("notes", "advice", "tests")
#: Free text of a prescription broken into lines the same way, kept in the first SMS but
#: for lines beyond ``max_text_lines`` (or its budget), which continue in the next.
LINE_FIELDS = ("diagnosis", "referral_to")

CONTEXTS: dict[str, ContextSpec] = {
    "prescription_patient": ContextSpec(
        (
            "code",
            "issued_on",
            "patient_name",
            "doctor_name",
            "doctor_registration",
            "diagnosis",
            "medicines",
            "callback_number",
        ),
        _RX_OPTIONAL,
    ),
    "prescription_anm": ContextSpec(
        (
            "code",
            "reference",
            "patient_name",
            "patient_age",
            "patient_sex",
            "doctor_name",
            "medicines",
        ),
        _RX_OPTIONAL,
    ),
    "prescription_more": ContextSpec(
        ("code", "part"), ("medicine_lines", *TEXT_FIELDS, *LINE_FIELDS)
    ),
    # callback_kind: the dial-in line's kind (outbound.caller_id.dial_in_line): a
    # "missed_call" line (or none given) says "give a missed call", "district" (toll-free)
    # "call X (free)", "spoke" (the HWC's landline, costs the patient) "call X", never "free".
    "followup_reminder": ContextSpec(
        ("follow_up_on", "callback_number"), ("patient_name", "code", "callback_kind")
    ),
    "could_not_reach": ContextSpec(("callback_number",), ("callback_kind",)),
    "emergency_advice": ContextSpec(("emergency_number",), ("referral_to",)),
    "emergency_anm_alert": ContextSpec(
        ("reference", "patient_mobile", "danger_signs"), ("village", "emergency_number")
    ),
    # callback_from: the number the call-back comes from, only when it is a line the
    # patient's phone will show (not OUTBOUND_CALLER_ID); None: the text names no number.
    "callback_notice": ContextSpec(("minutes",), ("callback_from",)),
    "intake_alert_anm": ContextSpec(
        ("reference", "patient_mobile", "complaint"), ("days", "village")
    ),
    "doctor_prescription_link": ContextSpec(("doctor_name", "reference", "link")),
    "doctor_prescription_reminder": ContextSpec(("reference", "link")),
    "doctor_unavailable": ContextSpec(("doctor_name", "doctor_code", "missed")),
    # medicines: the PrescriptionItem rows not in stock (compact lines); notes: the ANM's note.
    "doctor_rx_not_in_stock": ContextSpec(
        ("code", "reference", "hwc_name", "anm_name", "medicines", "link"), ("notes",)
    ),
    "rx_verify_reply": ContextSpec(
        ("code", "found"),
        ("doctor_name", "doctor_registration", "hub_name", "issued_at", "current", "superseded_at"),
    ),
    "rx_verify_refused": ContextSpec(()),
}


class MissingContext(ValueError):
    """A template was asked for without a variable it needs."""


def complete(purpose: str, context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with every optional name present; raise if a required one is missing."""
    spec = CONTEXTS[purpose]
    missing = [n for n in spec.required if n not in context]
    if missing:
        raise MissingContext(f"SMS {purpose} needs {', '.join(missing)}")
    return {**dict.fromkeys(spec.optional), **context}


def medicine_notes(medicines: list[Any]) -> list[str]:
    """Each medicine's instructions (how to mix ORS, when to take it), numbered as listed:
    ``"2: 1 sachet in 1 litre of clean water; sip after each loose stool"``."""
    notes = []
    for n, item in enumerate(medicines, start=1):
        text = " ".join(str(field(item, "instructions") or "").split())
        if text:
            notes.append(f"{n}: {text}")
    return notes


def prescription_context(prescription: Any, **extra: Any) -> dict[str, Any]:
    """The variables of ``prescription_patient`` / ``prescription_anm`` from a Prescription.

    ``extra`` adds or overrides names (``callback_number`` for the patient's copy;
    ``reference`` defaults to the consultation's reference when loaded).
    """
    consultation = field(prescription, "consultation")
    tests = field(prescription, "tests") or []
    medicines = list(field(prescription, "items") or [])
    context: dict[str, Any] = {
        "code": field(prescription, "code"),
        "issued_on": field(prescription, "issued_at"),
        "patient_name": field(prescription, "patient_name"),
        "patient_age": field(prescription, "patient_age"),
        "patient_sex": field(prescription, "patient_sex"),
        "doctor_name": field(prescription, "doctor_name"),
        "doctor_registration": field(prescription, "doctor_registration"),
        "diagnosis": field(prescription, "diagnosis"),
        "medicines": medicines,
        "notes": medicine_notes(medicines),
        "advice": field(prescription, "advice"),
        "tests": ", ".join(str(t) for t in tests) if isinstance(tests, list) else tests,
        "follow_up_on": field(prescription, "follow_up_on"),
        "referral_to": field(prescription, "referral_to"),
        "referral_urgency": field(prescription, "referral_urgency"),
        "reference": field(consultation, "reference") if consultation is not None else None,
    }
    context.update(extra)
    return context
