"""Callers as Twilio names them (``sip:…``, ``client:…``, long numbers, withheld IDs) reach
the intake and are stored; numbers configured as ``sampark standin --app-url`` configures
them report a hang-up mid-intake to ``/ivr/status``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from core.phones import Reach, is_withheld, reach
from core.runtime import Runtime
from ivr.catalog import catalog
from models import IvrSession, Patient
from sampark.cli.standin import configure_numbers
from standin import PhoneScript, StandIn, VirtualClock, WsgiTransport
from tests.builders import MiniDistrict
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.ivr.conftest import BASE, stored
from tests.ivr.phoned import COMPLETE, call

pytestmark = pytest.mark.slow

CALLERS = [
    "sip:alice.kumari.hwc-anm-42@kishanganj-telemedicine-pilot.sip.twilio.com;transport=tls",
    "client:" + "anm_42_" * 36,  # a Voice SDK identity near its 256-character limit
    "+4915123456789012345",  # 19 digits: longer than E.164 allows
    "anonymous",  # a withheld caller ID
]


@pytest.fixture
def operator_standin(app: Flask, mini: MiniDistrict) -> Iterator[StandIn]:
    """The stand-in with the registry's numbers as ``sampark standin --app-url`` sets them."""
    standin = StandIn(
        TEST_ACCOUNT_SID,
        TEST_AUTH_TOKEN,
        clock=VirtualClock(),
        seed=5,
        transport=WsgiTransport(app),
    )
    numbers = [*mini.spoke_numbers.values(), mini.district_number, mini.missed_call_number]
    configure_numbers(standin, numbers, BASE)
    yield standin
    standin.stop()


@pytest.mark.parametrize("caller", CALLERS)
def test_any_caller_id_completes_the_intake_and_is_stored_whole(
    operator_standin: StandIn, runtime: Runtime, mini: MiniDistrict, caller: str
) -> None:
    script = PhoneScript(digits=[*COMPLETE["hi"], None, None], record_seconds=[3, 25])
    call(operator_standin, mini.spoke_numbers["HWC-002"], script, caller=caller)
    assert operator_standin.errors() == []
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and row["caller"] == caller
    assert len(row["answers"]) == 11
    with runtime.db.session() as s:
        assert list(s.scalars(select(IvrSession.caller))) == [caller]
        assert list(s.scalars(select(Patient.mobile))) == [caller]


@pytest.mark.parametrize("caller", ["+919431012345", CALLERS[0]])
def test_a_hang_up_mid_intake_reaches_the_status_callback(
    operator_standin: StandIn, runtime: Runtime, mini: MiniDistrict, caller: str
) -> None:
    """Without the number's status callback the intake would stay open for ever."""
    script = PhoneScript(digits=COMPLETE["hi"], record_seconds=[3, 25], hangup_at_step=6)
    sid = call(operator_standin, mini.spoke_numbers["HWC-001"], script, caller=caller)
    [status] = operator_standin.webhooks(purpose="call-status", subject=sid)
    assert status["url"] == f"{BASE}/ivr/status" and status["status"] == 200
    [row] = stored(runtime)
    assert row["state"] == "abandoned" and row["caller"] == caller


def test_what_each_caller_can_be_offered_after_the_call() -> None:
    """Only an Indian number can be called back, and only a mobile texted; nothing raises."""
    nowhere = Reach(None, False, False)
    for caller in [*CALLERS, "+266696687", "", "+9194310\x0012345", "+91" + "9" * 300]:
        assert reach(caller) == nowhere, caller
    assert reach("+919431012345") == Reach("+919431012345", True, True)
    assert reach("+916456222333") == Reach("+916456222333", True, False)  # a landline


def test_a_withheld_caller_id_is_recognised_in_every_form_twilio_sends() -> None:
    """Every withheld caller shares one ID: it must never key a person (memory, resume)."""
    for caller in ("anonymous", "Anonymous", "RESTRICTED", "+266696687", "+7378742833"):
        assert is_withheld(caller), caller
        assert reach(caller) == Reach(None, False, False)
    for caller in (*CALLERS[:3], "+919431012345", "+86", ""):
        assert not is_withheld(caller), caller


def test_two_withheld_callers_are_two_people(
    operator_standin: StandIn, runtime: Runtime, mini: MiniDistrict
) -> None:
    """The second caller with no ID neither resumes nor hears the first one's intake."""
    first = PhoneScript(digits=COMPLETE["hi"][:3], record_seconds=[3], hangup_at_step=12)
    call(operator_standin, mini.spoke_numbers["HWC-001"], first, caller="anonymous")
    assert stored(runtime)[0]["state"] == "abandoned"
    script = PhoneScript(digits=[*COMPLETE["hi"], None, None], record_seconds=[3, 25])
    sid = call(operator_standin, mini.spoke_numbers["HWC-001"], script, caller="anonymous")
    said = [w["response"] for w in operator_standin.webhooks(subject=sid)]
    assert not any(catalog("hi").text("welcome_back") in text for text in said)
    rows = stored(runtime)
    assert [row["state"] for row in rows] == ["intake_complete", "abandoned"]
    with runtime.db.session() as s:
        assert len(list(s.scalars(select(Patient.id)))) == 2


@pytest.mark.parametrize("caller", ["anonymous", CALLERS[1], "+919431012345"])
def test_only_a_phone_we_can_ring_back_is_promised_a_call_back(
    operator_standin: StandIn, runtime: Runtime, mini: MiniDistrict, caller: str
) -> None:
    script = PhoneScript(digits=[*COMPLETE["hi"], None, None], record_seconds=[3, 25])
    sid = call(operator_standin, mini.spoke_numbers["HWC-002"], script, caller=caller)
    said = " ".join(w["response"] for w in operator_standin.webhooks(subject=sid))
    hi = catalog("hi")
    can_call = reach(caller).can_call
    assert (hi.text("end_next") in said) is can_call
    assert (hi.text("end_no_callback") in said) is not can_call
