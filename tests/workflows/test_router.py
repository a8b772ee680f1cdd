"""The specialist router and the queue order, table-driven (pure functions, no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.clock import CallWindow
from workflows.config import DEFAULT_SPECIALTY_MAP
from workflows.router import (
    Anm,
    Doctor,
    Priority,
    anm_order,
    any_free,
    pool_specialty,
    priority_for,
    rank_doctors,
    specialty_for,
)

T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("complaint", "age", "expected"),
    [
        ("pregnancy", 24, "obgyn"),
        ("child_illness", 30, "paediatrics"),  # a parent calling about a child
        ("fever", 4, "paediatrics"),  # any complaint of a child under 12
        ("skin", 11, "paediatrics"),
        ("skin", 12, "dermatology"),
        ("fever", 40, "general_medicine"),
        ("bp_diabetes_followup", 60, "general_medicine"),
        (None, None, "general_medicine"),
    ],
)
def test_complaint_and_age_choose_the_specialty(
    complaint: str | None, age: int | None, expected: str
) -> None:
    assert specialty_for(complaint, age, DEFAULT_SPECIALTY_MAP) == expected


def test_the_specialty_map_is_configurable() -> None:
    mapping = {**DEFAULT_SPECIALTY_MAP, "bp_diabetes_followup": "cardiology"}
    assert specialty_for("bp_diabetes_followup", 60, mapping) == "cardiology"


@pytest.mark.parametrize(
    ("emergency", "age", "complaint", "expected"),
    [
        (True, 40, "fever", Priority.EMERGENCY),
        (True, 2, "child_illness", Priority.EMERGENCY),
        (False, 4, "fever", Priority.CHILD_UNDER_5),
        (False, 5, "fever", Priority.ROUTINE),
        (False, 25, "pregnancy", Priority.PREGNANCY),
        (False, 3, "pregnancy", Priority.CHILD_UNDER_5),
        (False, None, "other", Priority.ROUTINE),
    ],
)
def test_queue_priority(
    emergency: bool, age: int | None, complaint: str, expected: Priority
) -> None:
    assert priority_for(emergency, age, complaint) == expected


def doc(i: int, **kw: object) -> Doctor:
    base: dict[str, object] = {"hub_id": 1, "specialty": "general_medicine", "languages": ("hi",)}
    base.update(kw)
    return Doctor(id=i, **base)  # type: ignore[arg-type]


RANK_CASES = [
    ("own hub before other hubs", [doc(1, hub_id=2), doc(2, hub_id=1)], [2, 1]),
    (
        "patient's language first",
        [doc(1, languages=("hi",)), doc(2, languages=("ur", "hi"))],
        [2, 1],
    ),
    ("hub outranks language", [doc(1, hub_id=2, languages=("ur",)), doc(2)], [2, 1]),
    (
        "longest idle first",
        [doc(1, idle_since=T0.replace(hour=9)), doc(2, idle_since=T0.replace(hour=7))],
        [2, 1],
    ),
    ("never idle counts as longest", [doc(1, idle_since=T0), doc(2)], [2, 1]),
    ("busy is skipped", [doc(1, busy=True), doc(2, hub_id=9)], [2]),
    ("unavailable is skipped", [doc(1, available=False), doc(2)], [2]),
    ("inactive is skipped", [doc(1, active=False), doc(2)], [2]),
    ("off duty is skipped", [doc(1, on_duty=False), doc(2)], [2]),
    ("other specialty is skipped", [doc(1, specialty="obgyn"), doc(2)], [2]),
    ("already offered is skipped", [doc(1), doc(7)], [1]),
]


@pytest.mark.parametrize(
    ("case", "doctors", "expected"), RANK_CASES, ids=[c[0] for c in RANK_CASES]
)
def test_rank_doctors(case: str, doctors: list[Doctor], expected: list[int]) -> None:
    ranked = rank_doctors(
        doctors, specialty="general_medicine", home_hub_id=1, language="ur", exclude=[7]
    )
    assert ranked == expected, case


def test_a_specialty_nobody_on_duty_practises_falls_back_to_general_medicine() -> None:
    doctors = [doc(1), doc(2, specialty="dermatology", on_duty=False)]
    assert pool_specialty("dermatology", doctors) == "general_medicine"
    assert pool_specialty("general_medicine", doctors) == "general_medicine"
    unavailable = [doc(1), doc(2, specialty="dermatology", available=False)]
    assert pool_specialty("dermatology", unavailable) == "general_medicine"
    # A dermatologist on duty but busy: wait for her rather than fall back.
    assert (
        pool_specialty("dermatology", [doc(3, specialty="dermatology", busy=True)]) == "dermatology"
    )


def test_anm_order_is_the_spoke_by_rank_then_the_block() -> None:
    anms = [
        Anm(1, spoke_id=10, rank=2),
        Anm(2, spoke_id=10, rank=1),
        Anm(3, spoke_id=11, rank=1),
        Anm(4, spoke_id=12, rank=1),  # another block
        Anm(5, spoke_id=10, rank=3, on_duty=False),
        Anm(6, spoke_id=11, rank=2, active=False),
    ]
    assert anm_order(anms, spoke_id=10, block_spoke_ids=[10, 11]) == [2, 1, 3]


@pytest.mark.parametrize(
    ("utc", "window", "inside", "opens"),
    [
        ("2026-11-25T03:00", ("08:00", "20:00"), True, "2026-11-25T03:00"),  # 08:30 IST
        ("2026-11-25T02:00", ("08:00", "20:00"), False, "2026-11-25T02:30"),  # 07:30 IST
        ("2026-11-25T15:00", ("08:00", "20:00"), False, "2026-11-26T02:30"),  # 20:30 IST
        ("2026-11-25T15:00", ("00:00", "00:00"), True, "2026-11-25T15:00"),  # always open
    ],
)
def test_call_windows_are_ist(utc: str, window: tuple[str, str], inside: bool, opens: str) -> None:
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    w = CallWindow.of(window)
    assert w.contains(moment) is inside
    assert w.next_opening(moment) == datetime.fromisoformat(opens).replace(tzinfo=UTC)


def test_a_doctor_is_free_only_if_she_could_take_a_case_now() -> None:
    free = Doctor(id=1, hub_id=1, specialty="general_medicine")
    assert any_free([free]) and not any_free([])
    for why in ({"on_duty": False}, {"active": False}, {"available": False}, {"busy": True}):
        assert not any_free([replace(free, **why)]), why
        assert any_free([replace(free, **why), replace(free, id=2)])
