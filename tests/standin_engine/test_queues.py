"""<Enqueue> and <Dial><Queue>: a caller waits in a queue until another call takes it."""

from __future__ import annotations

from flask import Flask

from standin import PhoneScript, StandIn
from tests.standin_engine.conftest import ANM, CLINIC, PATIENT
from tests.standin_engine.helpers import seen
from tests.standin_engine.test_verbs import echo_url
from tests.standin_engine.twiml_app import BASE


def test_a_queued_caller_is_bridged_with_the_call_that_dials_the_queue(
    si: StandIn, twiml_app: Flask
) -> None:
    enqueue = (f'<Response><Enqueue waitUrl="{BASE}/wait" action="{BASE}/echo">triage'
               "</Enqueue></Response>")  # fmt: skip
    si.add_number(CLINIC, voice_url=echo_url(twiml_app, enqueue))
    si.script(ANM, PhoneScript(answer_after=2, hangup_after=30))
    patient = si.dial_in(PATIENT, CLINIC)
    si.advance(20)  # waiting, hearing the wait music
    assert len(seen(twiml_app, "/wait")) >= 2
    wait = seen(twiml_app, "/wait")[0]["form"]
    assert wait["QueuePosition"] == "1" and wait["QueueSid"].startswith("QU")

    anm = si.engine.create_call({"To": ANM, "From": CLINIC, "Twiml":
                                 f'<Response><Dial action="{BASE}/goodbye"><Queue>triage'
                                 "</Queue></Dial></Response>"})["sid"]  # fmt: skip
    si.run_until_idle()

    # the ANM hung up after 30 s: the patient's Enqueue action hears "bridged"
    after = [s["form"] for s in seen(twiml_app, "/echo") if s["form"]["CallSid"] == patient]
    assert after[-1]["QueueResult"] == "bridged" and int(after[-1]["QueueTime"]) >= 20
    assert si.calls[anm]["status"] == "completed"
    dial_action = seen(twiml_app, "/goodbye")[0]["form"]
    assert dial_action["CallSid"] == anm and dial_action["DialCallSid"] == patient
    assert si.calls[patient]["status"] == "completed"


def test_a_caller_hanging_up_in_the_queue(si: StandIn, twiml_app: Flask) -> None:
    enqueue = f'<Response><Enqueue action="{BASE}/echo">triage</Enqueue></Response>'
    si.add_number(CLINIC, voice_url=echo_url(twiml_app, enqueue))
    si.script(PATIENT, PhoneScript(hangup_after=40))
    patient = si.dial_in(PATIENT, CLINIC)
    si.run_until_idle()
    action = [s["form"] for s in seen(twiml_app, "/echo") if "QueueResult" in s["form"]]
    assert action[0]["QueueResult"] == "hangup" and action[0]["CallSid"] == patient
    assert si.engine.queues["triage"][1] == []
