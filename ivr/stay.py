"""Staying on the line: may a caller who has just completed the intake wait for the
consultation now, instead of being called back?

Only when someone can come now, as the workflow would see it:

- inside the workflow's call window (``workflows.config``, on the workflow's clock):
  outside it the workflow keeps a non-urgent consultation for the morning, so a
  caller is not asked to wait through the night for it;
- a doctor who could take the case is on duty (roster), active and available in the
  spoke's district: one of the case's specialty, or of general medicine (which the
  router falls back to). A doctor busy right now still counts: the workflow's wait
  limit (``patient_wait_limit_s``) turns a long wait into a call-back.

The ANM is not required: without one on duty the workflow goes straight to the doctor.
Emergencies never reach the offer (they are told to go to hospital or call 108).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.settings import Settings
from ivr.store import DbLookups
from models import Block, Spoke, Staff, StaffRole
from workflows import people, router
from workflows.config import WorkflowConfig, workflow_config


class Lookups(DbLookups):
    """The engine's database look-ups on the full path: spoke codes, and who can come."""

    def __init__(self, s: Session, settings: Settings) -> None:
        super().__init__(s)
        self.settings = settings

    def someone_can_come(self, variables: dict[str, Any]) -> bool:
        return someone_can_come(self.s, workflow_config(self.settings), variables, clock.now())


def someone_can_come(
    s: Session, cfg: WorkflowConfig, variables: dict[str, Any], now: datetime
) -> bool:
    """Whether a caller with these call variables may wait on the line at ``now``."""
    if not cfg.window.contains(now):
        return False
    spoke_id = variables.get("spoke_id")
    if spoke_id is None:
        return False
    age = variables.get("age")
    specialty = router.specialty_for(
        variables.get("complaint"),
        int(age) if age is not None else None,
        cfg.specialty_map,
        child_age_years=cfg.child_age_years,
    )
    district = (
        select(Block.district_id)
        .join(Spoke, Spoke.block_id == Block.id)
        .where(Spoke.id == spoke_id)
        .scalar_subquery()
    )
    doctors = s.scalars(
        select(Staff.id).where(
            Staff.role == StaffRole.DOCTOR,
            Staff.active.is_(True),
            Staff.available.is_(True),
            Staff.district_id == district,
            Staff.specialty.in_({specialty, router.GENERAL_MEDICINE}),
        )
    ).all()
    return bool(people.on_duty_ids(s, doctors, now))
