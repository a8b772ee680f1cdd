"""An emergency caller who presses 1 reaches the district's ambulance line, through the stand-in.

Twilio cannot dial 108 (nor any short code): the caller is connected to the ambulance or
control-room line of the registry, and where none is configured is told, in their language,
that we cannot connect the call and to dial 108 from their own phone. The ANM is alerted
either way.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.runtime import Runtime
from ivr.catalog import LANGUAGES, catalog
from models import District, SmsMessage
from standin import PhoneScript, StandIn
from tests.builders import MiniDistrict
from tests.ivr.conftest import stored
from tests.ivr.phoned import call, said

pytestmark = pytest.mark.slow

AMBULANCE = "+916456222108"


def emergency_keys(lang: str, offer: str | None) -> list[str | None]:
    """Language, consent, self, age, sex, complaint, days, "no" then "yes" to danger signs,
    then ``offer`` at the offer to connect."""
    return [str(LANGUAGES.index(lang) + 1), "1", "1", "58#", "2", "2", "1#", "2", "1", offer]


def dialled_legs(si: StandIn) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in si.calls.values() if c["direction"] == "outbound-dial"]


def alert(runtime: Runtime) -> SmsMessage:
    with runtime.db.session() as s:
        [sms] = s.scalars(select(SmsMessage)).all()
        s.expunge(sms)
    return sms


def set_ambulance_number(runtime: Runtime, number: str) -> None:
    with runtime.db.session() as s:
        s.execute(update(District).values(ambulance_number=number))


def test_pressing_1_connects_the_caller_to_the_ambulance_line(
    si: StandIn, runtime: Runtime, mini: MiniDistrict
) -> None:
    set_ambulance_number(runtime, AMBULANCE)
    si.script(AMBULANCE, PhoneScript(answer_after=2, hangup_after=40))
    script = PhoneScript(digits=emergency_keys("hi", "1"), record_seconds=[2])
    sid = call(si, mini.spoke_numbers["HWC-001"], script)
    assert si.errors() == []  # no 13223/13224: the number is one Twilio dials
    [leg] = dialled_legs(si)
    assert (leg["to"], leg["parent_call_sid"], leg["status"]) == (AMBULANCE, sid, "completed")
    assert leg["duration"] == "40"  # they talked
    hindi = catalog("hi")
    assert said(si, sid)[-3:] == [
        hindi.spoken("emergency_connecting"),
        hindi.spoken("emergency_dial_ended"),
        hindi.spoken("emergency_end"),
    ]
    [row] = stored(runtime)
    assert row["state"] == "emergency" and row["answers"]["connect"] == "yes"
    sms = alert(runtime)
    assert sms.purpose == "emergency_anm_alert" and sms.to_number == mini.anms["ANM-001"]


def test_a_busy_ambulance_line_tells_the_caller_to_dial_108(
    si: StandIn, runtime: Runtime, mini: MiniDistrict
) -> None:
    set_ambulance_number(runtime, AMBULANCE)
    si.script(AMBULANCE, PhoneScript(outcome="busy"))
    script = PhoneScript(digits=emergency_keys("en", "1"), record_seconds=[2])
    sid = call(si, mini.spoke_numbers["HWC-001"], script)
    [leg] = dialled_legs(si)
    assert leg["status"] == "busy"
    assert said(si, sid)[-2] == catalog("en").spoken("emergency_dial_ended")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_an_ambulance_line_the_caller_is_told_to_dial_108_and_the_anm_is_alerted(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, lang: str
) -> None:
    script = PhoneScript(digits=emergency_keys(lang, "1"), record_seconds=[2])
    sid = call(si, mini.spoke_numbers["HWC-001"], script)
    cat = catalog(lang)
    [row] = stored(runtime)
    assert said(si, sid)[-4:] == [
        cat.spoken("emergency"),
        cat.spoken("emergency_no_connect"),  # we cannot connect: dial 108 yourself, now
        cat.spoken("reference", digits=", ".join(row["reference"])),
        cat.spoken("emergency_end"),
    ]
    assert "108" in cat.spoken("emergency_no_connect")
    assert cat.spoken("emergency_offer") not in said(si, sid)  # no key offered, none dialled
    assert dialled_legs(si) == [] and si.errors() == []
    assert si.calls[sid]["status"] == "completed"
    assert row["state"] == "emergency" and "connect" not in row["answers"]
    sms = alert(runtime)
    assert sms.purpose == "emergency_anm_alert" and sms.to_number == mini.anms["ANM-001"]
