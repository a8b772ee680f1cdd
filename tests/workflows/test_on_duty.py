"""Who is on duty now, read from the roster in the database (IST, night shifts included)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import IST
from models import Roster, Staff, StaffRole
from tests.builders import build_mini_district
from workflows.people import doctor_pool, on_duty_ids

#: Thursday 26 Nov 2026, 02:30 IST (Wednesday 21:00 UTC).
THU_0230_IST = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
TUE, WED, THU = 1, 2, 3


def _rostered(runtime: Runtime) -> dict[str, int]:
    """Four doctors with one slot each; returns their ids by name."""
    slots = {
        "night_from_wednesday": (WED, time(20, 0), time(8, 0)),  # covers Thu 02:30
        "day_on_thursday": (THU, time(9, 0), time(17, 0)),  # not yet
        "night_from_tuesday": (TUE, time(20, 0), time(8, 0)),  # ended Wed 08:00
        "early_thursday": (THU, time(2, 0), time(3, 0)),  # covers Thu 02:30
    }
    with runtime.db.session() as s:
        build_mini_district(s)
        doctors = list(s.scalars(select(Staff).where(Staff.role == StaffRole.DOCTOR)))[:4]
        ids = {}
        for doctor, (name, (day, starts, ends)) in zip(doctors, slots.items(), strict=True):
            doctor.rosters = [Roster(weekday=day, starts=starts, ends=ends)]
            ids[name] = doctor.id
    return ids


def test_night_shifts_and_todays_slots_count_other_days_do_not(runtime: Runtime) -> None:
    ids = _rostered(runtime)
    with runtime.db.session() as s:
        duty = on_duty_ids(s, ids.values(), THU_0230_IST)
    assert THU_0230_IST.astimezone(IST).strftime("%a %H:%M") == "Thu 02:30"
    assert duty == {ids["night_from_wednesday"], ids["early_thursday"]}


def test_the_doctor_pool_sees_the_same_duty(runtime: Runtime) -> None:
    ids = _rostered(runtime)
    with runtime.db.session() as s:
        views, _rows = doctor_pool(s, THU_0230_IST)
    on = {v.id for v in views if v.on_duty}
    assert {ids["night_from_wednesday"], ids["early_thursday"]} <= on
    assert not on & {ids["day_on_thursday"], ids["night_from_tuesday"]}
