"""Indian phone numbers, as people and spreadsheets write them, turned into E.164.

Every number Sampark stores or dials goes through :func:`normalize`. The service
runs in India only, so a number that is valid but belongs to another country is
rejected like any other invalid number.

Mobile or landline? ``phonenumbers`` cannot tell for some Indian ranges (many
numbers starting 7x and 8x share their leading digits with STD codes such as
80 Bengaluru); it reports them as FIXED_LINE_OR_MOBILE. Sampark classifies those
as ``"mobile_or_landline"`` and :func:`is_mobile` treats them as mobiles: those
ranges are overwhelmingly allocated to mobile operators, and refusing a real
ANM's or patient's mobile would cost far more than an SMS that a landline
silently drops. Numbers that are certainly landlines (e.g. ``06456-222333``) are
never treated as mobiles.

A caller ID is not always a number: Twilio's ``From`` may be ``sip:…``, ``client:…``, a
foreign or over-long number, or a withheld ID. :func:`reach` says what such a caller can be
offered (a call-back, SMS) without raising: the intake itself never depends on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REGION = "IN"
COUNTRY_CODE = 91

#: ``PhoneInfo.kind`` for each ``phonenumbers`` number type.
_KINDS: dict[int, str] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile_or_landline",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}

#: Kinds that can receive SMS (see the module docstring for the ambiguous one).
MOBILE_KINDS = frozenset({"mobile", "mobile_or_landline"})

_INTERNATIONAL_00 = re.compile(r"^\s*00\s*")


class InvalidPhoneNumber(ValueError):
    """A string that is not a valid Indian phone number; the message quotes it."""

    def __init__(self, raw: object, reason: str = "not a valid Indian phone number") -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(f"{raw!r}: {reason}")


@dataclass(frozen=True)
class PhoneInfo:
    """A normalised number and what kind of line it is."""

    e164: str
    kind: str  # mobile | landline | mobile_or_landline | toll_free | ... | unknown

    @property
    def is_mobile(self) -> bool:
        """Whether SMS may be sent to this number."""
        return self.kind in MOBILE_KINDS


def _parse(raw: object) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise InvalidPhoneNumber(raw, "not a phone number")
    text = str(raw).strip()
    if not text:
        raise InvalidPhoneNumber(raw, "empty phone number")
    if re.search(r"[A-Za-z]", text):
        raise InvalidPhoneNumber(raw, "phone numbers contain digits only")
    # "0091 94310 12345": the international prefix dialled from India.
    text = _INTERNATIONAL_00.sub("+", text)
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(raw, "not a phone number") from exc
    if number.country_code != COUNTRY_CODE:
        raise InvalidPhoneNumber(raw, f"not an Indian number (country code +{number.country_code})")
    if not phonenumbers.is_valid_number_for_region(number, REGION):
        digits = str(number.national_number)
        if len(digits) < 10:
            raise InvalidPhoneNumber(raw, "too short for an Indian phone number")
        if len(digits) > 10 and digits[0] in "6789":
            raise InvalidPhoneNumber(raw, "too long for an Indian mobile number")
        raise InvalidPhoneNumber(raw)
    return number


def normalize(raw: str) -> str:
    """The E.164 form of an Indian number written in any usual way.

    >>> normalize("094310 12345"), normalize("06456-222333")
    ('+919431012345', '+916456222333')

    Raises:
        InvalidPhoneNumber: not a valid Indian number (the message quotes ``raw``).
    """
    return phonenumbers.format_number(_parse(raw), PhoneNumberFormat.E164)


def classify(raw: str) -> PhoneInfo:
    """The E.164 form and the kind of line (``mobile``, ``landline``, ``toll_free``…).

    Raises:
        InvalidPhoneNumber: not a valid Indian number.
    """
    number = _parse(raw)
    kind = _KINDS.get(phonenumbers.number_type(number), "unknown")
    return PhoneInfo(phonenumbers.format_number(number, PhoneNumberFormat.E164), kind)


def is_mobile(e164: str) -> bool:
    """Whether a number can receive SMS (a mobile, or an ambiguous 7x/8x number).

    Invalid input is simply not a mobile (no exception).
    """
    try:
        return classify(e164).is_mobile
    except InvalidPhoneNumber:
        return False


def display(e164: str) -> str:
    """A number as people in India write it (``094310 12345``, ``06456 222333``)."""
    try:
        number = _parse(e164)
    except InvalidPhoneNumber:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


#: Words a withheld caller ID arrives as; Twilio has also sent them spelt on the keypad
#: (``ANONYMOUS`` as ``+266696687``, ``RESTRICTED`` as ``+7378742833``…).
_WITHHELD_WORDS = ("anonymous", "restricted", "unavailable", "blocked", "unknown", "private")
_KEYPAD = str.maketrans("abcdefghijklmnopqrstuvwxyz", "22233344455566677778889999")
WITHHELD = frozenset(_WITHHELD_WORDS) | {f"+{w.translate(_KEYPAD)}" for w in _WITHHELD_WORDS}


def is_withheld(caller: str) -> bool:
    """Whether a caller ID names nobody (a withheld number): never a key to a person.

    >>> is_withheld("ANONYMOUS"), is_withheld("+266696687"), is_withheld("+919431012345")
    (True, True, False)
    """
    return caller.strip().lower() in WITHHELD


@dataclass(frozen=True)
class Reach:
    """How Sampark can reach a caller after the call: by phone, by SMS, or not at all."""

    number: str | None  # the E.164 number to call back and text, None if there is none
    can_call: bool
    can_text: bool


def reach(caller: str) -> Reach:
    """What a caller ID allows: an Indian number can be called back, a mobile texted too.

    ``sip:``/``client:`` addresses, foreign or malformed numbers and withheld IDs (the
    words, or the foreign digits Twilio puts in ``From`` for them, e.g. ``+266696687``)
    can be neither: the service calls and texts Indian phones only. Never raises.

    >>> reach("+919431012345"), reach("client:anm42").can_call
    (Reach(number='+919431012345', can_call=True, can_text=True), False)
    """
    try:
        info = classify(caller)
    except InvalidPhoneNumber:
        return Reach(None, False, False)
    return Reach(info.e164, True, info.is_mobile)
