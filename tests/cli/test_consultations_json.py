"""``sampark consultations --json`` shows what the README promises (issue 14, item 9):
each consultation's answers, state history, ANM and doctor, calls, SMS and prescription."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from models import ConsultationState, LegRole
from prescriptions.scripted import issue_scripted_prescription
from sampark.cli import main
from tests.workflows.harness import Stack

S = ConsultationState


@pytest.mark.slow
def test_a_prescribed_consultation_shows_its_whole_story(stack: Stack) -> None:
    cid = stack.consultation()
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    with stack.runtime.db.session() as s:
        rx = issue_scripted_prescription(s, cid, runtime=stack.runtime)
        rx_code, n_items = rx.code, len(rx.items)
    stack.settle()

    result = CliRunner().invoke(
        main, ["consultations", "--json"], env={"DATABASE_URL": stack.runtime.settings.database_url}
    )
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0, result.output
    [row] = [r for r in json.loads(result.stdout) if r["id"] == cid]

    assert row["state"] == "prescribed"
    moves = [(h["from"], h["to"]) for h in row["state_history"]]
    assert moves[0] == ("intake", "intake_complete")
    assert moves[-1] == ("awaiting_prescription", "prescribed")
    assert ("bridging", "in_conference") in moves
    assert all(h["reason"] and h["at"] for h in row["state_history"])

    assert row["anm"]["role"] == "anm" and row["anm"]["name"] and row["anm"]["mobile"]
    assert row["doctor"]["role"] == "doctor" and row["doctor"]["specialty"]

    roles = [leg["role"] for leg in row["calls"]]
    assert LegRole.ANM.value in roles and LegRole.DOCTOR_OFFER.value in roles
    anm_leg = next(leg for leg in row["calls"] if leg["role"] == LegRole.ANM.value)
    assert anm_leg["to"] == row["anm"]["mobile"] and anm_leg["staff"] == row["anm"]["name"]
    assert anm_leg["status"] == "completed" and anm_leg["call_sid"]

    to_patient = [m for m in row["sms"] if m["to"] == row["caller"]]
    assert any(m["prescription_id"] == row["prescriptions"][0]["id"] for m in to_patient)
    assert all(m["body"] and m["encoding"] and m["segments"] >= 1 for m in row["sms"])

    [prescription] = row["prescriptions"]
    assert prescription["code"] == rx_code and prescription["current"] is True
    assert prescription["doctor"] == row["doctor"]["name"]
    assert len(prescription["items"]) == n_items
