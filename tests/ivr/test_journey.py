"""A whole journey in one process, as ``make demo`` runs it: a patient's intake by phone,
her consultation with the ANM and a doctor in a conference, and the prescription's SMS.

The stand-in Twilio (virtual clock) calls the app's webhooks in-process; RQ's
``SimpleWorker`` drains the queues in this process (the way ``make demo`` does), so the
journey runs on both backends of ``tests/ivr``: PostgreSQL with Redis, and SQLite with
the in-process Redis stand-in.

The stand-in applies Twilio's India rules (``standin/regions.py``), and the district is set
up as one on Twilio in India can be: its toll-free district line and an international
``OUTBOUND_CALLER_ID`` on the account (its spoke landlines cannot be), the patient keying
her spoke's short code at the district line. Twilio would refuse none of the journey's
requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select

from core.runtime import Runtime, install_process_runtime
from ivr.after_commit import settle
from models import Consultation, ConsultationState, SmsMessage
from ops.simulate_callers import with_spoke_code
from prescriptions.service import issue_prescription
from standin import PhoneScript, StandIn, VirtualClock, WsgiTransport
from tests.builders import MiniDistrict
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.ivr.conftest import BASE, PATIENT
from tests.ivr.phoned import COMPLETE
from tests.prescriptions.helpers import fever_draft

pytestmark = pytest.mark.slow
S = ConsultationState
QUEUES = ("workflow", "calls", "sms", "default")
#: The international number every call and SMS comes from (fictional).
OUTBOUND_CALLER_ID = "+12025550143"


@pytest.fixture
def live(app: Flask, runtime: Runtime, mini: MiniDistrict) -> Iterator[StandIn]:
    """The stand-in under India's rules with the numbers Twilio can supply there, its REST
    API on, this process's runtime for the jobs (calls and SMS from the international
    number), staff who answer."""
    si = StandIn(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, clock=VirtualClock(), seed=3,
                 transport=WsgiTransport(app), region="IN")  # fmt: skip
    for number in (mini.district_number, OUTBOUND_CALLER_ID):
        si.add_number(
            number, voice_url=f"{BASE}/ivr/incoming", status_callback=f"{BASE}/ivr/status"
        )
    runtime.settings = runtime.settings.with_overrides(
        twilio_api_base_url=si.start(), outbound_caller_id=OUTBOUND_CALLER_ID
    )
    for mobile in [*mini.anms.values(), *mini.doctors.values()]:
        si.script(mobile, PhoneScript(answer_after=2.0, digits=["1"], hangup_after=90.0))
    install_process_runtime(runtime)
    yield si
    install_process_runtime(None)
    si.stop()


def _drain(runtime: Runtime) -> None:
    """Run every queued job here, and what the after-commit threads started."""
    for _ in range(20):
        settle()
        if not any(runtime.queue(q).count for q in QUEUES):
            return
        SimpleWorker([runtime.queue(q) for q in QUEUES], connection=runtime.redis).work(burst=True)
    raise AssertionError("the queues did not drain")


def _run(si: StandIn, runtime: Runtime, until: Callable[[], bool]) -> None:
    """Run the stand-in event by event, the jobs after each one, until ``until()`` holds.

    Virtual time moves only when nothing of ours is in flight (as the whole-stack
    harness of ``tests/workflows`` drives it, with the worker in this process).
    """
    for _ in range(5000):
        _drain(runtime)
        if until():
            return
        due = si.clock.next_due()
        if due is None:
            break
        si.advance(max(0.0, due - si.clock.seconds()))
    assert until()


def _state(runtime: Runtime) -> S | None:
    with runtime.db.session() as s:
        return s.scalar(select(Consultation.state))


def _consultation(runtime: Runtime) -> Consultation:
    with runtime.db.session() as s:
        [consultation] = s.scalars(select(Consultation)).all()
        s.expunge(consultation)
        return consultation


def test_intake_consultation_and_prescription_sms(
    live: StandIn, runtime: Runtime, mini: MiniDistrict
) -> None:
    # at the district line: the intake with HWC-002's code (102) after the language, silence
    # at the SMS script question, then 1: stay on the line
    digits = [*with_spoke_code(COMPLETE["hi"], "102"), None, "1"]
    script = PhoneScript(digits=digits, record_seconds=[3, 25], hangup_after=400)
    live.script(PATIENT, script)
    live.dial_in(from_=PATIENT, to=mini.district_number)
    _run(live, runtime, lambda: _state(runtime) is S.AWAITING_PRESCRIPTION)
    consultation = _consultation(runtime)
    assert consultation.state is S.AWAITING_PRESCRIPTION, consultation.state
    assert consultation.doctor_id is not None and consultation.anm_id is not None
    assert consultation.spoke_id == mini.spoke_ids["HWC-002"]
    conference = live.conference_named(f"sampark-{consultation.reference}")
    assert conference is not None
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=consultation.id,
            doctor_id=consultation.doctor_id,
            draft=fever_draft(patient_name="Sunita"),  # the doctor types the name in
            runtime=runtime,
        )
        code = rx.code
    _run(live, runtime, lambda: bool(live.inbox(PATIENT)))
    inbox = live.inbox(PATIENT)  # the prescription, and any continuation (issue 14 item 2)
    assert inbox and all(code in sms["body"] for sms in inbox)
    with runtime.db.session() as s:
        sent = {m.purpose: m.status for m in s.scalars(select(SmsMessage))}
    assert sent["prescription_patient"] == "delivered"
    assert sent["prescription_anm"] == "delivered"
    ours = [c for c in live.calls.values() if c["direction"] == "outbound-api"]
    assert ours and {c["from"] for c in ours} == {OUTBOUND_CALLER_ID}
    assert live.region_refusals() == {}  # nothing Twilio would refuse in India
