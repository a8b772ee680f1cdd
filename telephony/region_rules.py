"""What Twilio allows in a country, as data: the product's own reading of Twilio's guidelines.

``sampark twilio check`` asks these rules whether the numbers, caller IDs and SMS senders a
deployment uses can work on Twilio there. Each rule cites the page it comes from. (The local
stand-in enforces its own copy of the same facts; the product never imports the stand-in.)

India, from Twilio's guidelines:
https://www.twilio.com/en-us/guidelines/in/voice and https://www.twilio.com/en-us/guidelines/in/sms
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IN_VOICE = "https://www.twilio.com/en-us/guidelines/in/voice"
IN_SMS = "https://www.twilio.com/en-us/guidelines/in/sms"
#: A domestic provider that can supply what Twilio cannot in India (rules-india.md).
DOMESTIC_PROVIDERS = "a domestic provider (e.g. Exotel ExoPhones or Plivo)"


@dataclass(frozen=True)
class Rule:
    """One documented rule: its key, what the page says, and the page."""

    key: str
    says: str
    source: str


@dataclass(frozen=True)
class RegionRules:
    """A country's rules for numbers on the account, caller IDs and SMS senders."""

    code: str  # ISO 3166-1 alpha-2, as Twilio's dialing permissions name it
    name: str
    country_prefix: str  # E.164, with the +
    toll_free_prefixes: tuple[str, ...]  # national numbers (after the country code)
    numbers: Rule
    caller_id: Rule
    alphanumeric: Rule
    sender: Rule
    two_way_sms: Rule

    def is_domestic(self, number: str) -> bool:
        """Whether ``number`` (E.164) is in this country."""
        return number.startswith(self.country_prefix)

    def is_toll_free(self, number: str) -> bool:
        national = number.removeprefix(self.country_prefix)
        return self.is_domestic(number) and national.startswith(self.toll_free_prefixes)

    def number_refusal(self, number: str) -> Rule | None:
        """Why Twilio cannot put ``number`` on an account (None: it can)."""
        if self.is_domestic(number) and not self.is_toll_free(number):
            return self.numbers
        return None

    def caller_id_refusal(self, caller_id: str) -> Rule | None:
        """Why calls to this country cannot come from ``caller_id`` (None: they can)."""
        return self.caller_id if self.is_domestic(caller_id) else None

    def sender_refusal(self, sender: str) -> Rule | None:
        """Why an SMS to this country cannot be sent from ``sender`` (None: it can).

        A Messaging Service SID (``MG…``) is not judged here: its senders are the service's.
        """
        if sender.startswith("MG") and len(sender) == 34:
            return None
        if not sender.startswith("+"):
            return self.alphanumeric if re.search(r"[A-Za-z]", sender) else self.sender
        return self.sender if self.is_domestic(sender) else None


INDIA = RegionRules(
    code="IN",
    name="India",
    country_prefix="+91",
    toll_free_prefixes=("1800",),
    numbers=Rule(
        "numbers",
        "Reachability: Domestic inbound/outbound N/A, Toll-Free inbound Yes: Twilio gives an "
        "account no Indian local or mobile numbers, only toll-free ones",
        IN_VOICE,
    ),
    caller_id=Rule(
        "caller-id",
        "Outbound calls to India can only be made from international (non-Indian) numbers",
        IN_VOICE,
    ),
    alphanumeric=Rule(
        "alphanumeric",
        "Alphanumeric sender IDs (pre-registered and dynamic) are not supported",
        IN_SMS,
    ),
    sender=Rule(
        "sender",
        "Long code domestic and short code senders are not supported: only an international "
        "long code (its sender shown as a random 5NNNN… short number)",
        IN_SMS,
    ),
    two_way_sms=Rule("two-way-sms", "Two-way SMS supported: No", IN_SMS),
)

REGIONS: dict[str, RegionRules] = {"IN": INDIA}


def region_for(numbers: list[str]) -> RegionRules | None:
    """The region whose numbers these are (the first known prefix among them), if any."""
    for number in numbers:
        for region in REGIONS.values():
            if region.is_domestic(number):
                return region
    return None
