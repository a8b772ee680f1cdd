"""One writer for an IVR step: the fast path and the full path write the same rows, and
which path a step takes follows from the effect kinds themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import field, fields, make_dataclass
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from ivr import calls
from ivr.config import IvrConfig
from ivr.engine import CallState, Effects, Engine
from ivr.fastpath import try_fast_step
from ivr.state import FAST_PATH
from ivr.twiml import Urls
from ivr.writes import PatientWrite, plan_step
from models import Base
from tests.builders import build_mini_district
from tests.conftest import _empty_tables
from tests.ivr.caller import Caller, answers

ENGINE = Engine(IvrConfig(), Urls("http://sampark.test", None))


# -- which path a step takes ----------------------------------------------------------------
def test_every_effect_kind_declares_whether_the_fast_path_carries_it() -> None:
    assert {f.name: f.metadata[FAST_PATH] for f in fields(Effects)} == {
        "answers": True,
        "consultation": True,
        "patient": True,
        "caller": True,
        "link_patient": False,
        "danger_sign": False,
        "outcome": False,
        "reason": False,
        "sms_script": False,
    }


def test_an_ordinary_answer_takes_the_fast_path() -> None:
    effects = Effects(answers={"age": "35"}, patient={"age_years": 35})
    assert not ENGINE.needs_full_path(CallState("sex"), effects)


@pytest.mark.parametrize("declared", [None, False])
def test_a_new_effect_kind_takes_the_full_path(declared: bool | None) -> None:
    """A kind added later that does not say the fast path carries it is not dropped."""
    metadata = {} if declared is None else {FAST_PATH: declared}
    newer = make_dataclass(
        "NewerEffects",
        [("callback_slot", str | None, field(default=None, metadata=metadata))],
        bases=(Effects,),
    )
    effects = newer(answers={"age": "35"}, callback_slot="evening")
    assert effects.full_path_kinds() == ["callback_slot"]
    assert ENGINE.needs_full_path(CallState("sex"), effects)
    assert not ENGINE.needs_full_path(CallState("sex"), newer(answers={"age": "35"}))


def test_the_plan_merges_the_callers_row_with_the_patients_when_they_are_one() -> None:
    state = CallState("sex", vars={"patient_id": 7, "caller_patient_id": 7})
    effects = Effects(patient={"sex": "female"}, caller={"preferred_language": "hi"})
    plan = plan_step(1, 2, state, effects, "active")
    assert plan.patients == (PatientWrite(7, {"preferred_language": "hi", "sex": "female"}, True),)


def test_the_plan_refuses_a_column_the_ivr_may_not_write() -> None:
    with pytest.raises(ValueError, match="state"):
        plan_step(1, 2, CallState("days"), Effects(consultation={"state": "closed"}), "active")


# -- the same calls through both paths --------------------------------------------------------
def _until(phone: Caller, node: str, key: str) -> None:
    """Press ``key`` until the call reaches ``node`` (the danger signs vary per complaint)."""
    for _ in range(6):
        if phone.node == node:
            return
        phone.press(key)
    assert phone.node == node


def _self_in_hindi(phone: Caller) -> None:
    answers(phone, ["1", "7", "*", "1", None, "1", ("rec", "http://rec/n1"), "35#", "1", "1"])
    answers(phone, ["3#"])
    _until(phone, "description", "2")
    answers(phone, [("rec", "http://rec/d1"), "1", None])  # native script, called back


def _child_in_urdu_who_stays(phone: Caller) -> None:
    answers(phone, ["2", "1", "2", ("rec", "http://rec/n2"), None, "4#", "2", "8"])
    answers(phone, ["400#", "30#"])
    _until(phone, "description", "2")
    answers(phone, [("rec", "http://rec/d2"), "2", "1"])  # roman script, stays on the line


def _an_emergency(phone: Caller) -> None:
    answers(
        phone, ["4", "1", "1", ("rec", "http://rec/n3"), "61#", "2", "1", "2#", "1"]
    )  # no ambulance line: ends


def _relative_in_bengali_hung_up(phone: Caller) -> None:
    answers(phone, ["1", "9", "3", "1", "3", ("rec", "http://rec/n4"), "70#", "3", "2"])
    phone.hang_up()


SCRIPTS: tuple[Callable[[Caller], None], ...] = (
    _self_in_hindi,
    _child_in_urdu_who_stays,
    _an_emergency,
    _relative_in_bengali_hung_up,
)


def _rows(runtime: Runtime) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, without what differs by design: times, and the random
    references (named by their consultation instead, also inside texts such as an SMS)."""
    with runtime.db.session() as s:
        tables = {
            table.name: [
                dict(row)
                for row in s.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            ]
            for table in Base.metadata.sorted_tables
        }
    names = {row["reference"]: f"<ref of {row['id']}>" for row in tables["consultations"]}

    def masked(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: masked(v) for k, v in value.items()}
        if isinstance(value, list):
            return [masked(v) for v in value]
        if isinstance(value, str):
            for reference, name in names.items():
                value = value.replace(reference, name)
        return value

    return {
        name: [
            {k: masked(v) for k, v in row.items() if not isinstance(v, datetime)} for row in rows
        ]
        for name, rows in tables.items()
    }


def _run_scripts(runtime: Runtime, client: FlaskClient) -> dict[str, list[dict[str, Any]]]:
    _empty_tables(runtime)
    with runtime.db.session() as s:
        mini = build_mini_district(s)
    for n, script in enumerate(SCRIPTS):
        phone = Caller(client, f"+9194310{n:05d}", mini.spoke_numbers["HWC-001"], f"CA{n:032d}")
        phone.dial()
        script(phone)
    return _rows(runtime)


@pytest.fixture
def fast_steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each step was answered by the fast path (a spy around the real one)."""
    taken: list[bool] = []

    def spy(*args: Any) -> Any:
        answered = try_fast_step(*args)
        taken.append(answered is not None)
        return answered

    monkeypatch.setattr(calls, "try_fast_step", spy)
    yield taken


@pytest.mark.usefixtures("server_only")  # the fast path runs on PostgreSQL only
def test_the_fast_and_the_full_path_write_the_same_rows(
    runtime: Runtime, client: FlaskClient, fast_steps: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fast_path = _run_scripts(runtime, client)
    assert sum(fast_steps) >= 20, fast_steps  # most ordinary answers went the fast way
    monkeypatch.setattr(calls, "try_fast_step", lambda *args: None)
    full_path_only = _run_scripts(runtime, client)
    assert with_fast_path["intake_answers"]  # the scripts did write
    for table, rows in with_fast_path.items():
        assert rows == full_path_only[table], table
