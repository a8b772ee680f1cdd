"""Who gets the work: the specialty, the queue order, the ANMs and doctors to call.

Pure functions over plain values, in the spirit of Twilio TaskRouter: a task
(the consultation) has a priority and needs a skill (the specialty); workers
(doctors) have skills, availability and an idle time; an offer goes to the
best eligible worker and moves on when refused or timed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

GENERAL_MEDICINE = "general_medicine"
PAEDIATRICS = "paediatrics"


class Priority(IntEnum):
    """Queue order when doctors are scarce: lower goes first."""

    EMERGENCY = 0
    CHILD_UNDER_5 = 1
    PREGNANCY = 2
    ROUTINE = 3


def specialty_for(
    complaint: str | None,
    age_years: int | None,
    mapping: Mapping[str, str],
    *,
    child_age_years: int = 12,
) -> str:
    """The specialty a consultation needs.

    A child (younger than ``child_age_years``) goes to paediatrics whatever the
    complaint; otherwise ``mapping`` decides, and general medicine takes the rest.
    """
    if age_years is not None and age_years < child_age_years:
        return PAEDIATRICS
    return mapping.get(complaint or "", GENERAL_MEDICINE)


def priority_for(emergency: bool, age_years: int | None, complaint: str | None) -> Priority:
    """Emergencies first, then children under 5, then pregnancy, then the rest."""
    if emergency:
        return Priority.EMERGENCY
    if age_years is not None and age_years < 5:
        return Priority.CHILD_UNDER_5
    if complaint == "pregnancy":
        return Priority.PREGNANCY
    return Priority.ROUTINE


@dataclass(frozen=True)
class Doctor:
    """What the router needs to know about one doctor."""

    id: int
    hub_id: int | None
    specialty: str | None
    languages: tuple[str, ...] = ()
    on_duty: bool = True
    active: bool = True
    available: bool = True
    busy: bool = False
    idle_since: datetime | None = None


@dataclass(frozen=True)
class Anm:
    """What the router needs to know about one ANM."""

    id: int
    spoke_id: int | None
    rank: int = 1
    on_duty: bool = True
    active: bool = True


def pool_specialty(specialty: str, doctors: Iterable[Doctor]) -> str:
    """``specialty`` if any doctor of it is on duty and available (busy or not), else
    general medicine: nobody waits for a specialist who is not working."""
    if any(d.specialty == specialty and d.on_duty and d.active and d.available for d in doctors):
        return specialty
    return GENERAL_MEDICINE


def any_free(doctors: Iterable[Doctor]) -> bool:
    """Whether any doctor could take a case now (on duty, active, available, not busy)."""
    return any(d.on_duty and d.active and d.available and not d.busy for d in doctors)


def rank_doctors(
    doctors: Iterable[Doctor],
    *,
    specialty: str,
    home_hub_id: int | None,
    language: str | None,
    exclude: Iterable[int] = (),
) -> list[int]:
    """Eligible doctors' ids, best first.

    Eligible: of ``specialty``, on duty, active, available, not busy, not excluded
    (already offered this consultation). Order: the spoke's own hub first, then one
    who speaks the patient's language, then the longest idle (never idle = longest).
    """
    skip = set(exclude)
    eligible = [
        d
        for d in doctors
        if d.specialty == specialty
        and d.on_duty
        and d.active
        and d.available
        and not d.busy
        and d.id not in skip
    ]

    def key(d: Doctor) -> tuple[int, int, float, int]:
        idle = d.idle_since.timestamp() if d.idle_since else float("-inf")
        return (
            0 if d.hub_id == home_hub_id else 1,
            0 if language and language in d.languages else 1,
            idle,
            d.id,
        )

    return [d.id for d in sorted(eligible, key=key)]


def anm_order(
    anms: Sequence[Anm], *, spoke_id: int | None, block_spoke_ids: Iterable[int]
) -> list[int]:
    """ANMs to call, in order: the spoke's own by rank, then the rest of the block's."""
    block = set(block_spoke_ids)
    ready = [a for a in anms if a.on_duty and a.active]
    own = sorted((a for a in ready if a.spoke_id == spoke_id), key=lambda a: (a.rank, a.id))
    others = sorted(
        (a for a in ready if a.spoke_id != spoke_id and a.spoke_id in block),
        key=lambda a: (a.rank, a.spoke_id or 0, a.id),
    )
    return [a.id for a in own + others]
