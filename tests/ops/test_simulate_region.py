"""A simulated Indian day under Twilio's India rules (``sampark simulate --region IN``).

Set up as a district on Twilio in India can be (the toll-free district line on the
account, the spoke landlines only in the registry, patients keying their spoke's code, an
international caller ID), the day makes no request Twilio would refuse and loses nobody.
Set up as before (no international caller ID, or the +91 district line as caller ID), the
stand-in refuses its calls and SMS and the summary counts them, so the first test can fail.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import Consultation
from ops.simulate import Interrupted, Simulation
from ops.simulate_data import DISTRICT_LINE
from ops.simulate_setup import SIM_OUTBOUND_CALLER_ID, TelephonySetup, resolve_region
from ops.simulate_summary import Summary
from sampark.app import create_app

pytestmark = pytest.mark.slow
PATIENTS = 40
OUTCOMES = ("completed", "unreachable", "consent_refused", "ended_without_doctor", "lost")


def _simulation(runtime: Runtime, setup: TelephonySetup, patients: int) -> Simulation:
    return Simulation(
        runtime.settings,
        patients=patients,
        real_time=False,
        seed=3,
        database_url=runtime.settings.database_url,
        app_factory=create_app,
        setup=setup,
    )


def test_auto_is_india_for_the_simulated_registry() -> None:
    assert resolve_region("auto") == "IN"
    assert resolve_region("none") is None and resolve_region("in") == "IN"
    setup = TelephonySetup.for_region("IN")
    assert (setup.via_district_line, setup.outbound_caller_id) == (True, SIM_OUTBOUND_CALLER_ID)


def test_an_indian_day_makes_no_request_twilio_would_refuse(runtime: Runtime) -> None:
    sim = _simulation(runtime, TelephonySetup.for_region("IN"), PATIENTS)
    try:
        summary = sim.run()
        si = sim.standin
        # only what Twilio can give an account in India: the toll-free line, a foreign number
        assert set(si.engine.numbers) == {DISTRICT_LINE, SIM_OUTBOUND_CALLER_ID}
        calls = list(si.calls.values())
        inbound = [c for c in calls if c["direction"] == "inbound"]
        ours = [c for c in calls if c["direction"] == "outbound-api"]
        assert len(inbound) == PATIENTS and {c["to"] for c in inbound} == {DISTRICT_LINE}
        assert ours and {c["from"] for c in ours} == {SIM_OUTBOUND_CALLER_ID}
        messages = list(si.messages.values())
        assert messages and {m["from"] for m in messages} == {SIM_OUTBOUND_CALLER_ID}
        with sim.runtime.db.session() as s:
            spokes = dict(
                s.execute(select(Consultation.caller_mobile, Consultation.spoke_id)).all()
            )
    finally:
        sim.runtime.db.dispose()
    assert summary.region == "IN"
    assert summary.refused_by_region_rules == {}, summary.refused_by_region_rules
    assert summary.patients == PATIENTS
    assert sum(getattr(summary, name) for name in OUTCOMES) == PATIENTS
    assert summary.lost == 0, summary.lost_patients
    assert summary.duplicated_legs == 0
    assert summary.completed > PATIENTS // 2
    assert summary.prescribed == summary.completed
    assert summary.sms_delivered >= summary.prescribed
    # the spoke each caller keyed at the district line is their consultation's
    keyed = [j for j in sim.journeys if spokes.get(j.mobile) is not None]
    assert len(keyed) >= summary.completed
    assert all(spokes[j.mobile] == j.spoke_id for j in keyed)
    assert "region          IN: 0 requests refused by its rules" in summary.text()


def _until_refused(sim: Simulation) -> Summary:
    """Run until the stand-in has refused something, then stop (the summary so far): a
    misconfigured day makes no progress, and would idle to its 12-hour horizon."""

    def progress(_done: int) -> None:
        if sim.standin.region_refusals():
            sim.stop_signal = signal.SIGTERM

    with pytest.raises(Interrupted) as stopped:
        sim.run(progress)
    return stopped.value.summary


@pytest.mark.parametrize(
    ("caller_id", "rules"),
    [
        # the registry's lines: the spoke's landline is no number of a Twilio account (21210)
        (None, {"numbers"}),
        # the toll-free district line: a +91 caller ID (21216) and SMS sender (21612)
        (DISTRICT_LINE, {"caller-id", "sender"}),
    ],
)
def test_a_district_without_an_international_caller_id_is_refused(
    runtime: Runtime, caller_id: str | None, rules: set[str]
) -> None:
    sim = _simulation(runtime, TelephonySetup("IN", True, caller_id), 10)
    try:
        summary = _until_refused(sim)
    finally:
        sim.runtime.db.dispose()
    assert summary.refused > 0
    assert set(summary.refused_by_region_rules) <= rules | {"numbers"}
    assert set(summary.refused_by_region_rules) & rules
    assert "requests refused by its rules" in summary.text()
