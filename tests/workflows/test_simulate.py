"""``sampark simulate``: scripted journeys end in prescriptions, nothing lost, no leg twice."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sampark.cli import main
from sampark.runtime import Runtime
from workflows.simulate import run_simulation

pytestmark = pytest.mark.slow


def test_every_journey_ends_somewhere_and_completed_ones_are_prescribed(runtime: Runtime) -> None:
    summary = run_simulation(
        runtime.settings, patients=16, seed=5, database_url=runtime.settings.database_url
    )
    assert summary.patients == 16
    assert summary.lost == 0 and summary.duplicated_legs == 0
    assert summary.completed + summary.unreachable == 16
    assert summary.completed > 0 and summary.prescribed == summary.completed
    # Each prescription goes to the patient and the ANM; the ANMs' phones always take SMS.
    assert summary.sms_delivered >= summary.prescribed
    assert summary.call_to_doctor_p50_s is not None


def test_the_command_prints_json_for_machines() -> None:
    result = CliRunner().invoke(main, ["simulate", "--patients", "4", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["patients"] == 4 and summary["lost"] == 0
    assert {"completed", "emergencies", "callbacks", "unreachable", "prescribed"} <= set(summary)
