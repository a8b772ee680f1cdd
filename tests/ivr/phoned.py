"""Whole calls through the local Twilio stand-in: placing them and reading what we answered
(the stand-in itself is the ``si`` fixture of ``tests/ivr/conftest.py``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ivr.after_commit import settle
from standin import PhoneScript, StandIn
from tests.ivr.conftest import PATIENT


def call(si: StandIn, to: str, script: PhoneScript, caller: str = PATIENT) -> str:
    si.script(caller, script)
    sid = si.dial_in(from_=caller, to=to)
    si.run_until_idle()
    settle()
    return sid


def responses(si: StandIn, sid: str) -> list[ET.Element]:
    """The TwiML our app answered for this call, in order."""
    return [
        ET.fromstring(w["response"])
        for w in si.webhooks(subject=sid)
        if w["purpose"] in ("twiml", "gather-action", "record-action", "redirect")
    ]


def said(si: StandIn, sid: str) -> list[str]:
    return [el.text or "" for root in responses(si, sid) for el in root.iter("Say")]


#: language key, then: consent, self, name, age, sex, complaint, days, two "no" to danger signs.
COMPLETE = {
    "hi": ["1", "1", "1", "35#", "1", "1", "3#", "2", "2"],
    "ur": ["2", "1", "1", "62#", "2", "8", "30#", "2", "2"],
    "en": ["4", "1", "1", "28#", "1", "3", "2#", "2", "2"],
}
