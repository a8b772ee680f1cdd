"""``sampark consultations --json`` lists what the IVR captured."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sampark.cli import main
from tests.ivr.caller import answers
from tests.ivr.test_webhooks import SELF_FEVER


def test_consultations_json(runtime, call_spoke, monkeypatch) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, [*SELF_FEVER, ("rec", "http://rec/d")])
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    result = CliRunner().invoke(main, ["consultations", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row["state"] == "intake_complete" and row["spoke"] == "HWC-001"
    assert row["language"] == "hi" and row["patient"]["age_years"] == 35
    assert row["answers"]["complaint"] == "fever" and row["danger_signs"] == []
    assert row["recording_url"] == "http://rec/d"
    table = CliRunner().invoke(main, ["consultations", "--state", "intake_complete"])
    assert row["reference"] in table.output and "HWC-001" in table.output
