"""What the portal shows for coded values, in the doctor's language: consultation states,
intake questions and answers, danger signs, SMS recipients and parts, languages and dates.

Each label is a gettext message (``lazy_gettext``), so translators find them in the
catalogues; a value with no label is shown made readable (``fever_x`` -> ``fever x``).
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from flask_babel import LazyString, get_locale, gettext, lazy_gettext, ngettext

from core.timeutil import IST, to_ist
from models import ConsultationState, SmsMessage
from portal.i18n import COMPLAINTS, SEXES, label

S = ConsultationState

#: Where a consultation stands, as a doctor would say it.
STATES: dict[str, LazyString] = {
    S.INTAKE: lazy_gettext("answering the questions"),
    S.INTAKE_COMPLETE: lazy_gettext("questions answered"),
    S.EMERGENCY: lazy_gettext("emergency"),
    S.ABANDONED: lazy_gettext("hung up during the questions"),
    S.CONSENT_REFUSED: lazy_gettext("consent refused"),
    S.CALLING_ANM: lazy_gettext("calling the ANM"),
    S.FINDING_DOCTOR: lazy_gettext("finding a doctor"),
    S.BRIDGING: lazy_gettext("joining the call"),
    S.IN_CONFERENCE: lazy_gettext("in the call"),
    S.CALLBACK_SCHEDULED: lazy_gettext("call-back planned"),
    S.UNREACHABLE: lazy_gettext("patient not reached"),
    S.AWAITING_PRESCRIPTION: lazy_gettext("waiting for the prescription"),
    S.PRESCRIBED: lazy_gettext("prescribed"),
    S.CLOSED: lazy_gettext("closed"),
    S.CANCELLED: lazy_gettext("cancelled"),
}

#: The IVR's questions (``IntakeAnswer.question``).
QUESTIONS: dict[str, LazyString] = {
    "language": lazy_gettext("Language chosen"),
    "rx_offer": lazy_gettext("Came for"),
    "spoke_confirm": lazy_gettext("Health centre confirmed"),
    "spoke_code": lazy_gettext("Health centre code"),
    "consent": lazy_gettext("Consent"),
    "for_whom": lazy_gettext("For whom"),
    "age": lazy_gettext("Age"),
    "sex": lazy_gettext("Sex"),
    "complaint": lazy_gettext("Main complaint"),
    "days": lazy_gettext("For how many days"),
    "sms_script": lazy_gettext("SMS written in"),
    "connect": lazy_gettext("Asked to be connected to emergency help"),
    "emergency": lazy_gettext("Asked to be connected to emergency help"),
}

#: Danger signs (``danger.<sign>`` answers and ``Consultation.danger_signs``).
DANGER_SIGNS: dict[str, LazyString] = {
    "unconscious": lazy_gettext("Unconscious"),
    "convulsions": lazy_gettext("Convulsions (fits)"),
    "severe_breathlessness": lazy_gettext("Severe breathlessness"),
    "chest_pain": lazy_gettext("Chest pain"),
    "pregnancy_bleeding": lazy_gettext("Bleeding in pregnancy"),
    "child_not_drinking": lazy_gettext("Child not drinking or feeding"),
    "heavy_bleeding": lazy_gettext("Heavy bleeding"),
    "one_side_weakness": lazy_gettext("Weakness of one side of the body"),
}

#: Answer values that are codes.
ANSWERS: dict[str, LazyString] = {
    "yes": lazy_gettext("yes"),
    "no": lazy_gettext("no"),
    "none": lazy_gettext("none"),
    "self": lazy_gettext("the caller"),
    "child": lazy_gettext("a child"),
    "relative": lazy_gettext("a relative"),
    "consult": lazy_gettext("a new consultation"),
    "prescription": lazy_gettext("the last prescription"),
    "native": lazy_gettext("own script"),
    "roman": lazy_gettext("Roman letters"),
    "connect": lazy_gettext("yes"),
    "change_language": lazy_gettext("change the language"),
    "True": lazy_gettext("yes"),
    "False": lazy_gettext("no"),
}

#: Who an SMS went to (``SmsMessage.purpose``).
SMS_PURPOSES: dict[str, LazyString] = {
    "prescription_patient": lazy_gettext("Patient"),
    "prescription_anm": lazy_gettext("ANM"),
    "followup_reminder": lazy_gettext("Patient (follow-up reminder)"),
}

#: Where an SMS is (``SmsMessage.status``).
SMS_STATUSES: dict[str, LazyString] = {
    "pending": lazy_gettext("waiting to be sent"),
    "submitting": lazy_gettext("being sent"),
    "accepted": lazy_gettext("being sent"),
    "scheduled": lazy_gettext("scheduled"),
    "queued": lazy_gettext("being sent"),
    "sending": lazy_gettext("being sent"),
    "sent": lazy_gettext("sent"),
    "delivered": lazy_gettext("delivered"),
    "undelivered": lazy_gettext("not delivered"),
    "failed": lazy_gettext("failed"),
    "canceled": lazy_gettext("cancelled"),
    "read": lazy_gettext("read"),
}

#: Intake questions whose answer is a recording (played in the page, never printed).
RECORDED = frozenset({"name", "description"})


def _ui_locale() -> Locale:
    return get_locale() or Locale.parse("en")


def language_name(code: str | None) -> str:
    """A language's name in the doctor's language (``hi`` -> "Hindi" / "हिन्दी")."""
    if not code:
        return ""
    try:
        name = Locale.parse(code).get_display_name(_ui_locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def state_label(state: str | None) -> str:
    return label(STATES, state)


def question_label(question: str) -> str:
    """An intake question's name (``danger.chest_pain`` -> "Danger sign: Chest pain")."""
    if question.startswith("danger."):
        sign = gettext("Danger sign")
        return f"{sign}: {label(DANGER_SIGNS, question[7:])}"
    return label(QUESTIONS, question)


def answer_label(question: str, value: str | None) -> str:
    """An intake answer as words: complaints, sexes, languages and codes translated."""
    if value is None or value == "":
        return "—"
    if question == "complaint":
        return label(COMPLAINTS, value)
    if question == "sex":
        return label(SEXES, value)
    if question == "language":
        return language_name(value)
    if value in ANSWERS:
        return str(ANSWERS[value])
    return value


def danger_signs_label(signs: list[str] | None) -> str:
    return ", ".join(label(DANGER_SIGNS, s) for s in signs or [])


def sms_label(m: SmsMessage) -> str:
    """The SMS in a doctor's words: "Hindi, 4 SMS parts" (Roman letters said so)."""
    parts = ngettext("%(num)d SMS part", "%(num)d SMS parts", m.segments or 0)
    language = language_name(m.language)
    if m.script == "roman" and m.language != "en":
        language = f"{language} ({ANSWERS['roman']})"
    return f"{language}, {parts}" if language else parts


def when(moment: datetime | date | None, *, with_time: bool = True) -> str:
    """A date (and time, in IST) in the doctor's language: "3 Dec 2026, 14:35"."""
    if moment is None:
        return ""
    locale = _ui_locale()
    if locale.language == "en":
        locale = Locale.parse("en_IN")
    if not isinstance(moment, datetime):
        return format_date(moment, "d MMM y", locale=locale)
    local = to_ist(moment)
    if not with_time:
        return format_date(local.date(), "d MMM y", locale=locale)
    return format_datetime(local, "d MMM y, HH:mm", tzinfo=IST, locale=locale)
