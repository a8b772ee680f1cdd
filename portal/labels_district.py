"""The district figures' coded values in words (gettext)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

OUTCOME_LABELS: dict[str, LazyString] = {
    "completed": lazy_gettext("Completed"),
    "emergency": lazy_gettext("Emergency"),
    "unreachable": lazy_gettext("Unreachable"),
    "callback": lazy_gettext("Call-back"),
    "abandoned": lazy_gettext("Abandoned"),
    "in_progress": lazy_gettext("In progress"),
}
OUTCOME_MEANINGS: dict[str, LazyString] = {
    "completed": lazy_gettext("a doctor joined; ended with or awaiting a prescription"),
    "emergency": lazy_gettext("danger sign heard (hospital or 108 advised), no doctor joined"),
    "unreachable": lazy_gettext("every call-back failed; patient and ANM told by SMS"),
    "callback": lazy_gettext("waiting now for a call-back"),
    "abandoned": lazy_gettext(
        "ended without a doctor: hung up, refused consent, cancelled or closed"
    ),
    "in_progress": lazy_gettext("still under way"),
}
OFFER_LABELS: dict[str, LazyString] = {
    "accepted": lazy_gettext("Accepted"),
    "declined": lazy_gettext("Declined"),
    "no_answer": lazy_gettext("No answer"),
    "withdrawn": lazy_gettext("Withdrawn"),
    "open": lazy_gettext("Open"),
}
SMS_LABELS: dict[str, LazyString] = {
    "delivered": lazy_gettext("Delivered"),
    "undelivered": lazy_gettext("Undelivered"),
    "failed": lazy_gettext("Failed"),
    "pending": lazy_gettext("Pending"),
}


def outcome_label(key: str) -> str:
    return str(OUTCOME_LABELS.get(key, key))


def offer_label(key: str) -> str:
    return str(OFFER_LABELS.get(key, key))


def sms_label(key: str) -> str:
    return str(SMS_LABELS.get(key, key))
