"""OUTBOUND_CALLER_ID: the emergency forward comes from it; ringing it back reaches the IVR.

Twilio gives a ``<Dial>`` the caller's own number as its caller ID by default, and calls to
India from an Indian caller ID are refused (https://www.twilio.com/en-us/guidelines/in/voice):
with the outbound number configured the forwarded leg must come from it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from core.settings import Settings
from ivr.catalog import catalog
from models import IvrSession
from standin import PhoneScript, StandIn
from tests.builders import MiniDistrict
from tests.ivr.conftest import BASE
from tests.ivr.phoned import call, said
from tests.ivr.test_emergency_connect import (
    AMBULANCE,
    dialled_legs,
    emergency_keys,
    set_ambulance_number,
)

pytestmark = pytest.mark.slow

OUTBOUND = "+12025550143"  # fictional (555-01xx)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(outbound_caller_id=OUTBOUND)


def test_the_forwarded_leg_comes_from_the_configured_number(
    si: StandIn, runtime: Runtime, mini: MiniDistrict
) -> None:
    set_ambulance_number(runtime, AMBULANCE)
    si.script(AMBULANCE, PhoneScript(answer_after=2, hangup_after=20))
    call(si, mini.spoke_numbers["HWC-001"], PhoneScript(digits=emergency_keys("hi", "1")))
    [leg] = dialled_legs(si)
    assert (leg["to"], leg["from"], leg["status"]) == (AMBULANCE, OUTBOUND, "completed")


def test_ringing_back_the_configured_number_reaches_the_district_line(
    si: StandIn, runtime: Runtime, mini: MiniDistrict
) -> None:
    si.add_number(OUTBOUND, voice_url=f"{BASE}/ivr/incoming", status_callback=f"{BASE}/ivr/status")
    sid = call(si, OUTBOUND, PhoneScript(digits=["4", "101#"]))
    english = catalog("en")
    heard = said(si, sid)
    assert english.spoken("spoke_code") in heard  # the district line asks for the HWC
    assert english.spoken("unknown_number") not in heard
    with runtime.db.session() as s:
        [dialled] = s.scalars(select(IvrSession.dialled)).all()
    assert dialled == mini.district_number  # the call-back rule then uses the district line
