"""How the simulated district meets its provider: the stand-in's rules and account.

``sampark simulate --region auto|IN|none`` picks a :class:`TelephonySetup`. Without a
region the stand-in is a Twilio without country rules and the account holds every number
of the registry, as before. Under ``IN`` the stand-in applies Twilio's India rules
(``standin/regions.py``) and the district is set up as one on Twilio in India can be: the
spoke landlines stay in the registry but are not on the account (Twilio has no Indian
landline or mobile numbers), patients ring the toll-free district line and key their
spoke's short code, and every call and SMS comes from an international number
(``Settings.outbound_caller_id``), since Twilio refuses a +91 caller ID (21216) and a +91
SMS sender (21612).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.settings import Settings
from ops.simulate_data import DISTRICT_LINE, SimDistrict, spoke_number
from standin import StandIn
from telephony.region_rules import region_for

log = logging.getLogger(__name__)

#: The choices of ``sampark simulate --region``.
REGION_CHOICES = ("auto", "IN", "none")
#: The simulated district's international caller ID (fictional: 202-555-01xx is reserved
#: for fiction in the North American plan).
SIM_OUTBOUND_CALLER_ID = "+12025550143"


def resolve_region(choice: str) -> str | None:
    """``IN``, ``none`` (None), or ``auto``: the country of the simulated registry's
    numbers when a region profile exists for it (India: the district's are Indian)."""
    if choice.lower() == "none":
        return None
    if choice.lower() != "auto":
        return choice.upper()
    found = region_for([DISTRICT_LINE, spoke_number(0)])
    return found.code if found is not None else None


@dataclass(frozen=True)
class TelephonySetup:
    """The stand-in's rules and how the district uses the account.

    Attributes:
        region: the country whose Twilio rules the stand-in applies (None: none).
        via_district_line: patients ring the toll-free district line and key their spoke's
            short code; only the district line is on the account, not the spoke landlines.
        outbound_caller_id: the number every call and SMS comes from (``OUTBOUND_CALLER_ID``;
            None: the registry's lines, as the caller-ID rule picks them).
    """

    region: str | None = None
    via_district_line: bool = False
    outbound_caller_id: str | None = None

    @classmethod
    def for_region(
        cls, region: str | None, outbound_caller_id: str | None = None
    ) -> TelephonySetup:
        """The setup a district uses under ``region``: for India the district line and an
        international caller ID (``outbound_caller_id`` if configured, else the simulation's
        own); without a region the spoke numbers, and the configured caller ID if any."""
        if region is None:
            return cls(None, False, outbound_caller_id)
        return cls(region, True, outbound_caller_id or SIM_OUTBOUND_CALLER_ID)

    def settings(self, settings: Settings) -> Settings:
        """``settings`` with this setup's outbound caller ID."""
        if self.outbound_caller_id is None:
            return settings
        return settings.with_overrides(outbound_caller_id=self.outbound_caller_id)

    def account_numbers(self, district: SimDistrict, settings: Settings) -> list[str]:
        """The numbers an operator puts on the account (in this order)."""
        lines = [district.district_line]
        if not self.via_district_line:
            lines = [*district.spoke_numbers, *lines]
        outbound = settings.outbound_caller_id
        return [*lines, outbound] if outbound and outbound not in lines else lines

    def configure(self, standin: StandIn, district: SimDistrict, settings: Settings) -> None:
        """Give the stand-in's account this setup's numbers, pointed at the app as an
        operator configures them (``ivr/README.md``)."""
        base = settings.public_base_url
        for number in self.account_numbers(district, settings):
            try:
                standin.add_number(
                    number,
                    voice_url=f"{base}/ivr/incoming",
                    status_callback=f"{base}/ivr/status",
                    sms_url=f"{base}/sms/inbound",
                )
            except ValueError as exc:  # the region's rules keep it off (counted as refused)
                log.warning("simulate: not on the account: %s", exc)
