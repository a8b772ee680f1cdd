"""The mini district used by other tests builds on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from core.runtime import Runtime
from models import Staff, StaffRole
from tests.builders import build_mini_district


def test_mini_district_builds(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        mini = build_mini_district(s)
    with runtime.db.session() as s:
        doctors = s.scalar(select(func.count()).where(Staff.role == StaffRole.DOCTOR))
        assert doctors == len(mini.doctors) == 5
        assert len(mini.spoke_numbers) == 3
