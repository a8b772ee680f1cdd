"""Delivery through the local Twilio stand-in: SMS to patient and ANM, read-aloud fallback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select

from core import clock as wclock
from core.runtime import Runtime, install_process_runtime
from models import CallLeg, LegRole, SmsMessage
from outbound.sms import SMS_QUEUE
from prescriptions.service import issue_prescription
from prescriptions.voice import READOUT_QUEUE, place_readout_call
from sampark.app import create_app
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.prescriptions.helpers import PATIENT_MOBILE, Setting, build_setting, fever_draft

PUBLIC = "http://sampark.test"
#: 11:30 IST, inside the read-aloud call window.
MIDDAY = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@dataclass
class Line:
    standin: Any
    runtime: Runtime
    app: Flask
    setting: Setting


@pytest.fixture
def line(runtime: Runtime) -> Iterator[Line]:
    """The app wired to a stand-in on a virtual clock (webhooks delivered in-process)."""
    from standin import StandIn, VirtualClock, WsgiTransport

    holder: dict[str, Flask] = {}

    class _LateApp:
        def __call__(self, environ: Any, start_response: Any) -> Any:
            return holder["app"](environ, start_response)

    si = StandIn(
        TEST_ACCOUNT_SID,
        TEST_AUTH_TOKEN,
        clock=VirtualClock(),
        seed=1,
        transport=WsgiTransport(_LateApp()),
    )
    base = si.start()
    rt = Runtime(settings=runtime.settings.with_overrides(twilio_api_base_url=base), db=runtime.db)
    holder["app"] = create_app(rt.settings, runtime=rt, TESTING=True)
    with rt.db.session() as s:
        setting = build_setting(s)
    for number in [*setting.mini.spoke_numbers.values(), setting.mini.district_number]:
        si.add_number(number, sms_url=f"{PUBLIC}/sms/inbound")
    install_process_runtime(rt)
    try:
        yield Line(si, rt, holder["app"], setting)
    finally:
        install_process_runtime(None)
        si.stop()


def settle(line: Line, rounds: int = 12) -> None:
    """Run RQ jobs and the stand-in's events until neither has anything left to do."""
    queues = [line.runtime.queue(n) for n in (SMS_QUEUE, READOUT_QUEUE, "default")]
    for _ in range(rounds):
        pending = sum(q.count for q in queues)
        if pending:
            SimpleWorker(queues, connection=line.runtime.redis).work(burst=True)
        ran = line.standin.run_until_idle()
        if not pending and not ran:
            return


def issue(line: Line) -> int:
    with line.runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=line.setting.consultation_id,
            doctor_id=line.setting.doctor_id,
            draft=fever_draft(),
            runtime=line.runtime,
        )
        return rx.id


def _sms(line: Line) -> list[SmsMessage]:
    with line.runtime.db.session() as s:
        found = list(s.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        s.expunge_all()
    return found


def _readout_legs(line: Line) -> list[CallLeg]:
    with line.runtime.db.session() as s:
        found = list(s.scalars(select(CallLeg).where(CallLeg.role == LegRole.READOUT)))
        s.expunge_all()
    return found


def test_patient_and_anm_receive_their_sms(line: Line) -> None:
    from standin import PhoneScript

    line.standin.script(PATIENT_MOBILE, PhoneScript(sms_outcome="delivered"))
    rx_id = issue(line)
    settle(line)
    messages = _sms(line)
    by_purpose = {m.purpose: m for m in messages}
    # the instructions and tests that do not fit the first SMS follow in a continuation
    assert set(by_purpose) == {"prescription_patient", "prescription_anm", "prescription_more"}
    assert all(m.status == "delivered" and m.prescription_id == rx_id for m in messages)
    patient_inbox = line.standin.inbox(PATIENT_MOBILE)
    anm_inbox = line.standin.inbox(line.setting.mini.anms["ANM-001"])
    to_patient = [m for m in messages if m.to_number == PATIENT_MOBILE]
    assert len(patient_inbox) == len(to_patient) >= 1
    assert len(anm_inbox) == len(messages) - len(to_patient) >= 1
    assert by_purpose["prescription_patient"].language == "hi"
    assert _readout_legs(line) == []


def test_an_undelivered_sms_falls_back_to_the_read_aloud_call(line: Line) -> None:
    from standin import PhoneScript

    line.standin.script(
        PATIENT_MOBILE, PhoneScript(sms_outcome="undelivered", answer_after=2, digits=["1", None])
    )
    rx_id = issue(line)
    with wclock.use_clock(wclock.ManualClock(MIDDAY)):
        settle(line)
    patient_sms = [m for m in _sms(line) if m.purpose == "prescription_patient"]
    assert [(m.attempt, m.status) for m in patient_sms] == [(1, "undelivered"), (2, "undelivered")]
    legs = _readout_legs(line)
    assert len(legs) == 1
    leg = legs[0]
    assert (leg.to_number, leg.from_number) == (
        PATIENT_MOBILE,
        line.setting.mini.spoke_numbers["HWC-001"],
    )
    assert leg.status == "completed" and leg.purpose and leg.purpose.endswith(":readout:1")
    # the call fetched the read-aloud, the patient pressed 1 and heard it a second time
    reads = [w for w in line.standin.webhooks() if f"/rx/{rx_id}/read" in str(w.get("url", ""))]
    assert len(reads) >= 2
    # placing it again is a no-op (one call per purpose key)
    assert place_readout_call(line.runtime, rx_id) == leg.call_sid
    assert len(_readout_legs(line)) == 1


def test_a_fallback_at_night_waits_for_the_morning(line: Line) -> None:
    from prescriptions.voice import on_prescription_sms_undeliverable

    rx_id = issue(line)
    night = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 22:30 IST
    with line.runtime.db.session() as s:
        sms = s.scalars(
            select(SmsMessage).where(SmsMessage.purpose == "prescription_patient")
        ).one()
        s.expunge(sms)
    with wclock.use_clock(wclock.ManualClock(night)):
        on_prescription_sms_undeliverable(line.runtime, sms)
    assert _readout_legs(line) == []
    registry = line.runtime.queue(READOUT_QUEUE).scheduled_job_registry
    (job_id,) = registry.get_job_ids()
    job = line.runtime.queue(READOUT_QUEUE).fetch_job(job_id)
    assert job is not None and job.args == (rx_id, 1)
    assert job.func_name == "prescriptions.calls.readout_job"


def test_a_read_aloud_call_waits_while_the_patient_is_on_another_of_our_calls(line: Line) -> None:
    from datetime import timedelta

    rx_id = issue(line)
    with line.runtime.db.session() as s:  # a call-back of ours is ringing the patient
        s.add(
            CallLeg(
                purpose="other-call",
                role=LegRole.PATIENT_CALLBACK,
                from_number=line.setting.mini.spoke_numbers["HWC-001"],
                to_number=PATIENT_MOBILE,
                status="ringing",
                call_sid="CA" + "7" * 32,
            )
        )
    with wclock.use_clock(wclock.ManualClock(MIDDAY)):
        assert place_readout_call(line.runtime, rx_id) is None
    assert _readout_legs(line) == []  # the unrung leg is withdrawn: the purpose is free
    assert not line.standin.calls
    queue = line.runtime.queue(READOUT_QUEUE)
    (job_id,) = queue.scheduled_job_registry.get_job_ids()
    job = queue.fetch_job(job_id)
    assert job is not None and job.func_name == "prescriptions.calls.readout_job"
    assert job.args == (rx_id, 1)
    at = queue.scheduled_job_registry.get_scheduled_time(job)
    assert at == MIDDAY + timedelta(minutes=1)


def test_an_undeliverable_continuation_is_read_aloud_to_the_patient_only(line: Line) -> None:
    from outbound.sms import on_sms_undeliverable

    issue(line)
    continuations = [m for m in _sms(line) if m.purpose == "prescription_more"]
    to_anm = [m for m in continuations if m.to_number != PATIENT_MOBILE]
    to_patient = [m for m in continuations if m.to_number == PATIENT_MOBILE]
    assert to_patient  # the fever draft's instructions and tests follow the first SMS
    with wclock.use_clock(wclock.ManualClock(MIDDAY)):
        for sms in to_anm:
            on_sms_undeliverable(line.runtime, sms)
        settle(line)
        assert _readout_legs(line) == []  # the ANM's copy asks for no call to the patient
        on_sms_undeliverable(line.runtime, to_patient[0])
        settle(line)
    legs = _readout_legs(line)
    assert len(legs) == 1 and legs[0].to_number == PATIENT_MOBILE
