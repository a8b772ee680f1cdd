"""The district figures' coded values in words (gettext)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

OUTCOME_LABELS: dict[str, LazyString] = {
    "completed": _l("Completed"),
    "emergency": _l("Emergency"),
    "unreachable": _l("Unreachable"),
    "callback": _l("Call-back"),
    "abandoned": _l("Abandoned"),
    "in_progress": _l("In progress"),
}
OUTCOME_MEANINGS: dict[str, LazyString] = {
    "completed": _l("a doctor joined; ended with or awaiting a prescription"),
    "emergency": _l("danger sign heard (hospital or 108 advised), no doctor joined"),
    "unreachable": _l("every call-back failed; patient and ANM told by SMS"),
    "callback": _l("waiting now for a call-back"),
    "abandoned": _l("ended without a doctor: hung up, refused consent, cancelled or closed"),
    "in_progress": _l("still under way"),
}
OFFER_LABELS: dict[str, LazyString] = {
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "no_answer": _l("No answer"),
    "withdrawn": _l("Withdrawn"),
    "open": _l("Open"),
}
SMS_LABELS: dict[str, LazyString] = {
    "delivered": _l("Delivered"),
    "undelivered": _l("Undelivered"),
    "failed": _l("Failed"),
    "pending": _l("Pending"),
}


def outcome_label(key: str) -> str:
    return str(OUTCOME_LABELS.get(key, key))


def offer_label(key: str) -> str:
    return str(OFFER_LABELS.get(key, key))


def sms_label(key: str) -> str:
    return str(SMS_LABELS.get(key, key))
