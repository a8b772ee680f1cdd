"""<Dial><Number> as strict as Twilio: what is not E.164 (or an unformatted US number) is
never dialled; the dial fails at once (Debugger 13223/13224, DialCallStatus failed)."""

from __future__ import annotations

import pytest
from flask import Flask

from standin import PhoneScript, StandIn
from tests.standin_engine.conftest import DOCTOR
from tests.standin_engine.helpers import seen
from tests.standin_engine.test_verbs import call_with
from tests.standin_engine.twiml_app import BASE


def dialled(si: StandIn) -> list[str]:
    """The numbers of the legs a <Dial> placed."""
    return [c["to"] for c in si.calls.values() if c["direction"] == "outbound-dial"]


def codes(si: StandIn) -> list[tuple[int, str]]:
    return [(e["error_code"], e["level"]) for e in si.errors() if e["kind"] == "debugger"]


@pytest.mark.parametrize(
    "number", ["108", "102", "+108", "06456222108", "9431012345", "+6931234567"]
)
def test_a_number_twilio_cannot_dial_fails_the_dial(
    si: StandIn, twiml_app: Flask, number: str
) -> None:
    parent = call_with(
        si, f'<Response><Dial action="{BASE}/echo" timeout="30"><Number>{number}</Number>'
        "</Dial></Response>"
    )  # fmt: skip
    si.run_until_idle()
    [form] = [s["form"] for s in seen(twiml_app, "/echo")]
    assert form["CallSid"] == parent and form["DialCallStatus"] == "failed"
    assert "DialCallSid" not in form  # no leg was placed
    assert dialled(si) == []
    # E.164 in form but no such country (+693): the error only; else the format warning too
    format_warning = [] if number == "+6931234567" else [(13223, "WARNING")]
    assert codes(si) == [*format_warning, (13224, "ERROR")]


def test_without_an_action_the_caller_hears_the_next_verb(si: StandIn, twiml_app: Flask) -> None:
    call_with(si, '<Response><Dial timeout="30">108</Dial><Say>Please dial 108</Say></Response>')
    si.run_until_idle()
    verbs = [e["verb"] for e in si.timeline() if e["kind"] == "verb"]
    assert verbs[-1].startswith("<Say>Please dial 108") and dialled(si) == []


def test_e164_and_unformatted_us_numbers_are_dialled(si: StandIn, twiml_app: Flask) -> None:
    si.script(DOCTOR, PhoneScript(answer_after=2, hangup_after=10))
    call_with(si, f"<Response><Dial><Number> {DOCTOR} </Number></Dial></Response>")
    call_with(si, "<Response><Dial>(415) 555-1212</Dial></Response>")
    si.run_until_idle()
    assert sorted(dialled(si)) == sorted([DOCTOR, "+14155551212"])
    assert codes(si) == []
