"""``sampark simulate``: patients dial in through the stand-in and press keys in the IVR;
every one ends somewhere, nothing is lost, no leg is placed twice."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from core.runtime import Runtime
from ops.simulate import run_simulation
from ops.simulate_callers import SCENARIOS
from sampark.app import create_app
from sampark.cli import main

pytestmark = pytest.mark.slow
OUTCOMES = ("completed", "unreachable", "consent_refused", "ended_without_doctor", "lost")


def test_every_caller_crosses_the_ivr_and_ends_somewhere_with_nothing_lost(
    runtime: Runtime,
) -> None:
    summary = run_simulation(
        runtime.settings,
        patients=16,
        seed=5,
        database_url=runtime.settings.database_url,
        app_factory=create_app,
    )
    assert summary.patients == 16
    assert sum(getattr(summary, name) for name in OUTCOMES) == 16  # the outcomes add up
    assert set(summary.by_scenario) == set(SCENARIOS)  # every kind of caller took part
    assert summary.hung_up > 0 and summary.emergencies > 0 and summary.consent_refused > 0
    assert summary.lost == 0, summary.lost_patients
    assert summary.duplicated_legs == 0
    assert summary.completed > 0 and summary.prescribed == summary.completed
    # Each prescription goes to the patient and the ANM; the ANMs' phones always take SMS.
    assert summary.sms_delivered >= summary.prescribed
    assert summary.call_to_doctor_p50_s is not None


def test_the_command_prints_json_that_explains_its_categories() -> None:
    result = CliRunner().invoke(main, ["simulate", "--patients", "4", "--json"])
    summary = json.loads(result.stdout)
    assert result.exit_code == (0 if summary["lost"] == 0 else 1), result.output
    assert summary["patients"] == 4 and sum(summary[name] for name in OUTCOMES) == 4
    assert set(summary["explained"]) == {"outcomes", "overlapping", "region"}
    assert summary["region"] == "IN" and summary["refused_by_region_rules"] == {}
    assert {"emergencies", "callbacks", "stayed_on_line", "hung_up", "by_scenario"} <= set(summary)
