"""Provider rules as data: what Twilio documents for calls and SMS in a country.

A ``Region`` is a frozen profile the engine applies when the stand-in runs with one
(``StandIn(..., region="IN")``, ``sampark standin --region IN``): the errors Twilio returns
for a disallowed caller ID or number, SMS that never arrive, senders rewritten. Each rule
names the page it comes from. Where a page says a thing is not supported but not what
Twilio then does, the stand-in picks the stricter behaviour (it must never be kinder than
Twilio) and the rule says so in ``vague``.

Pages (read 2026-12 through Twilio's public guidelines):

- voice: https://www.twilio.com/en-us/guidelines/in/voice
- sms: https://www.twilio.com/en-us/guidelines/in/sms
- 21216: https://www.twilio.com/docs/errors/21216 ("API: Call blocked by Twilio ... Due to
  regulatory reasons, the destination cannot be reached"); the body Twilio returns is
  ``{"code": 21216, "message": "Account not allowed to call +..", "status": 400}``.
- 21612: https://www.twilio.com/docs/api/errors/21612 ("Alphanumeric senderIDs: ... the 'To'
  number must be in a country where alphanumeric sender IDs are supported"; Twilio answers
  400 "The 'To' phone number: X, is not currently reachable using the 'From' phone number:
  Y via SMS.").
- 32224: https://www.twilio.com/docs/api/errors/32224 ("Forwarded Call blocked by Twilio ...
  regulatory restrictions in the region").
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import phonenumbers

from standin.util import ALPHA_SENDER, E164

IN_VOICE = "https://www.twilio.com/en-us/guidelines/in/voice"
IN_SMS = "https://www.twilio.com/en-us/guidelines/in/sms"
ERR_21216 = "https://www.twilio.com/docs/errors/21216"
ERR_21612 = "https://www.twilio.com/docs/api/errors/21612"
ERR_32224 = "https://www.twilio.com/docs/api/errors/32224"


@dataclass(frozen=True)
class Rule:
    """One documented rule: what the page says, where, and what the stand-in does."""

    key: str
    says: str
    source: str
    stand_in: str
    vague: str = ""  # how the page is vague, and the stricter reading chosen

    def as_dict(self) -> dict[str, str]:
        """JSON-able form (timeline entries, ``GET /_standin/region``)."""
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class Region:
    """A country's rules for Twilio voice and SMS, applied by the stand-in's engine."""

    code: str  # ISO 3166 alpha-2
    name: str
    country_code: int  # E.164 country calling code
    #: phonenumbers number types Twilio offers as numbers of this country (others cannot
    #: be on the account).
    ownable_types: frozenset[int]
    #: outbound calls to this country's numbers need a caller ID from another country.
    foreign_caller_id_only: bool
    #: number types of this country Twilio cannot call.
    unreachable_types: frozenset[int]
    #: inbound calls to this country's numbers only from phones of the same country.
    inbound_from_inside_only: bool
    two_way_sms: bool
    #: senders Twilio accepts for SMS to this country: "alphanumeric", "domestic-long-code",
    #: "international-long-code", "short-code".
    sms_senders: frozenset[str]
    #: a numeric sender is shown to the recipient as a random number of (min, max) digits
    #: starting with this prefix (None: preserved).
    sender_rewrite: tuple[str, int, int] | None
    mms_as_sms_with_url: bool
    #: URL shorteners whose links make a message undeliverable (30007).
    shortened_url_hosts: tuple[str, ...]
    rules: dict[str, Rule] = field(default_factory=dict)

    # -- numbers ----------------------------------------------------------------------
    def owns(self, number: str) -> bool:
        """Whether ``number`` is an E.164 number of this country."""
        parsed = _parse(number)
        return parsed is not None and parsed.country_code == self.country_code

    def _type(self, number: str) -> int | None:
        parsed = _parse(number)
        return None if parsed is None else int(phonenumbers.number_type(parsed))

    def number_refusal(self, number: str) -> Rule | None:
        """The rule that keeps ``number`` off a Twilio account, if any."""
        if self.owns(number) and self._type(number) not in self.ownable_types:
            return self.rules["numbers"]
        return None

    def call_refusal(self, to: str, from_: str) -> Rule | None:
        """The rule that blocks a call from ``from_`` to ``to``, if any."""
        if not self.owns(to):
            return None
        if self._type(to) in self.unreachable_types:
            return self.rules["toll-free-outbound"]
        if self.foreign_caller_id_only and self.owns(from_):
            return self.rules["caller-id"]
        return None

    def dial_in_refusal(self, from_: str, to: str) -> Rule | None:
        """The rule that keeps a phone's call to our number ``to`` from reaching Twilio."""
        if self.inbound_from_inside_only and self.owns(to) and not self.owns(from_):
            return self.rules["toll-free-inbound"]
        return None

    # -- SMS ----------------------------------------------------------------------------
    def sms_inbound_refusal(self, from_: str, to: str) -> Rule | None:
        """The rule that keeps an SMS from a phone to our number from arriving."""
        if not self.two_way_sms and (self.owns(to) or self.owns(from_)):
            return self.rules["two-way-sms"]
        return None

    def sender_kind(self, from_: str) -> str:
        """alphanumeric | domestic-long-code | international-long-code | short-code."""
        if E164.match(from_):
            return "domestic-long-code" if self.owns(from_) else "international-long-code"
        if ALPHA_SENDER.match(from_) and not from_.isdigit():
            return "alphanumeric"
        return "short-code"

    def sms_sender_refusal(self, to: str, from_: str) -> Rule | None:
        """The rule that refuses an SMS to ``to`` from ``from_`` at the API, if any."""
        if not self.owns(to):
            return None
        kind = self.sender_kind(from_)
        if kind in self.sms_senders:
            return None
        return self.rules["alphanumeric" if kind == "alphanumeric" else "sender"]

    def shown_sender(self, to: str, from_: str, rng: random.Random) -> str:
        """The sender the recipient's phone shows for an SMS from ``from_``."""
        if self.sender_rewrite is None or not self.owns(to) or not E164.match(from_):
            return from_
        prefix, low, high = self.sender_rewrite
        digits = rng.randint(low, high)
        return prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits - len(prefix)))

    def has_shortened_url(self, body: str) -> bool:
        """Whether ``body`` links through a URL shortener."""
        hosts = "|".join(re.escape(h) for h in self.shortened_url_hosts)
        return bool(hosts) and re.search(rf"(?i)\b(?:{hosts})/\S", body) is not None

    def as_dict(self) -> dict[str, object]:
        """The profile and its rules, JSON-able."""
        return {
            "code": self.code,
            "name": self.name,
            "rules": [r.as_dict() for r in self.rules.values()],
        }


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    if not E164.match(number or ""):
        return None
    try:
        return phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None


_T = phonenumbers.PhoneNumberType

INDIA = Region(
    code="IN",
    name="India",
    country_code=91,
    # voice page, Reachability: Domestic inbound N/A, Toll-Free inbound Yes -> Twilio's only
    # Indian numbers are toll-free (1800...), and they take calls, nothing else.
    ownable_types=frozenset({_T.TOLL_FREE}),
    # voice page, Outbound restrictions: "Outbound calls to India can only be made from
    # international (non-Indian) numbers."
    foreign_caller_id_only=True,
    # voice page, Reachability: Toll-Free outbound No.
    unreachable_types=frozenset({_T.TOLL_FREE}),
    # voice page, Reachability: International inbound N/A ("Can in-locale numbers be reached
    # from outside the locale?"); Toll-Free inbound Yes is "from within the locale".
    inbound_from_inside_only=True,
    # sms page: "Two-way SMS supported: No".
    two_way_sms=False,
    # sms page, Phone Numbers & Sender ID: Twilio supported only for Long Code International.
    sms_senders=frozenset({"international-long-code"}),
    # sms page: "Any Numeric Sender ID sent to Indian mobile subscribers will be overwritten
    # with a random short number between five and nine digits long of the format
    # 5NNNN—5NNNNNNNN".
    sender_rewrite=("5", 5, 9),
    # sms page: "Twilio MMS support: Converted to SMS with embedded URL".
    mms_as_sms_with_url=True,
    # sms page: "Sending messages with shortened URL is not allowed."
    shortened_url_hosts=(
        "bit.ly",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rb.gy",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
    ),
    rules={
        "caller-id": Rule(
            "caller-id",
            "Outbound calls to India can only be made from international (non-Indian) numbers.",
            IN_VOICE,
            "CreateCall / Participants with a +91 From to a +91 To: 400, code 21216 "
            "'Account not allowed to call +91..' (nothing is created); a <Dial><Number> to "
            "+91 whose caller ID (callerId, else the caller's number) is +91 places no leg: "
            "Debugger 32224 and DialCallStatus failed.",
            vague="The page does not say how such a call fails. Refusing at the API (Twilio's "
            "21216: 'Due to regulatory reasons, the destination cannot be reached') is the "
            "stricter reading; for <Dial> the regulatory block is Twilio's 32224.",
        ),
        "toll-free-outbound": Rule(
            "toll-free-outbound",
            "Reachability, Toll-Free, Outbound: No (Twilio cannot call Indian toll-free numbers).",
            IN_VOICE,
            "A call to a +91 1800 number: 400 / 21216 at the API, 32224 for <Dial>.",
            vague="The failure is not described; the same refusal as the caller-ID rule.",
        ),
        "numbers": Rule(
            "numbers",
            "Reachability: Domestic inbound and outbound N/A; Toll-Free inbound Yes. Twilio "
            "has no Indian local or mobile numbers for ordinary calls; its Indian numbers are "
            "toll-free and take inbound calls.",
            IN_VOICE,
            "Only +91 toll-free (1800) numbers can be given to the account (add_number / "
            "POST /_standin/numbers refuse any other +91 number: 400 on the control API). A "
            "+91 From the account does not own is then Twilio's 21210.",
        ),
        "toll-free-inbound": Rule(
            "toll-free-inbound",
            "Reachability: International inbound N/A; Toll-Free inbound Yes ('Can in-locale "
            "Toll-Free numbers be reached from within the locale?').",
            IN_VOICE,
            "A dial-in to a +91 number from a phone outside India never reaches Twilio "
            "(dial_in refuses; no call, no webhook).",
            vague="Only reachability from inside India is stated; from outside it is taken "
            "as unreachable.",
        ),
        "two-way-sms": Rule(
            "two-way-sms",
            "Two-way SMS supported: No.",
            IN_SMS,
            "An SMS from a phone to a +91 number of ours, or from a +91 phone to any of our "
            "numbers, never arrives: no Message, no SmsUrl request (send_sms_from returns '').",
            vague="The page does not separate an Indian phone texting a foreign Twilio number; "
            "the stricter reading drops that too.",
        ),
        "alphanumeric": Rule(
            "alphanumeric",
            "Alphanumeric sender ID, pre-registration and dynamic: operator network "
            "capability Not Supported; Twilio supported Not Supported. 'Pre-registered "
            "Alphanumeric Sender IDs are not supported and messages are delivered with random "
            "ILDO-approved short codes'.",
            IN_SMS + " ; " + ERR_21612,
            "A message to +91 with an alphanumeric From: 400, code 21612 'The 'To' phone "
            "number: +91.., is not currently reachable using the 'From' phone number: X via "
            "SMS.'; nothing is created.",
            vague="The compliance paragraph can be read as the alphanumeric ID being replaced "
            "by a short code; the sender table says it is not supported, and Twilio's 21612 "
            "is its answer to an alphanumeric sender in such a country. Refusing is stricter.",
        ),
        "sender": Rule(
            "sender",
            "Long Code Domestic and Short Code: Twilio supported '---' / Not Supported; only "
            "Long Code International is supported.",
            IN_SMS,
            "A message to +91 from a +91 number or a short code: 400 / 21612 as above.",
        ),
        "sender-rewritten": Rule(
            "sender-rewritten",
            "Long Code International: Sender ID preserved No; 'Any Numeric Sender ID sent to "
            "Indian mobile subscribers will be overwritten with a random short number between "
            "five and nine digits long of the format 5NNNN—5NNNNNNNN'.",
            IN_SMS,
            "The phone's inbox shows a random 5NNNN..5NNNNNNNN sender, not our number; the "
            "Message resource keeps the From we sent.",
        ),
        "mms": Rule(
            "mms",
            "Twilio MMS support: Converted to SMS with embedded URL.",
            IN_SMS,
            "MediaUrl to +91: the message is an SMS whose body ends with the media URLs "
            "(num_media 0).",
        ),
        "shortened-url": Rule(
            "shortened-url",
            "Sending messages with shortened URL is not allowed.",
            IN_SMS,
            "A message to +91 linking through a URL shortener ends undelivered, ErrorCode 30007.",
            vague="What happens to such a message is not said; it is taken as filtered "
            "(Twilio's 30007) rather than delivered.",
        ),
        "landline-sms": Rule(
            "landline-sms",
            "You cannot send SMS to a landline destination number: the Twilio REST API will "
            "throw a 400 response with error code 21614.",
            IN_SMS,
            "Enforced for every destination, with or without a region (engine.create_message).",
        ),
        "dlt": Rule(
            "dlt",
            "Domestic and international SMS go through the operators' ILDO connections and "
            "bypass the DND database; DLT Entity and Template IDs are asked only for a "
            "pre-registered alphanumeric sender (support article 21162166457755), which the "
            "guidelines page says is not supported.",
            IN_SMS,
            "Not enforced: no route the stand-in accepts needs DLT IDs.",
        ),
    },
)

REGIONS: dict[str, Region] = {INDIA.code: INDIA}


def region(code: str | Region | None) -> Region | None:
    """The profile for an ISO code (case-insensitive), a profile as is, or None."""
    if code is None or isinstance(code, Region):
        return code
    try:
        return REGIONS[code.strip().upper()]
    except KeyError:
        raise ValueError(f"no region profile {code!r} (known: {', '.join(REGIONS)})") from None
