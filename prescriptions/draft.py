"""What the doctor fills in, and the checks on it that need no database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from prescriptions.formulary import Medicine, UnknownMedicine, get_medicine
from prescriptions.policy import Policy, check_medicine

#: Compact frequency: 3 slots (morning-afternoon-night) or 4, each a count (½ allowed); or SOS.
FREQUENCY_RE = re.compile(r"^(?:\d|½|0\.5)(?:-(?:\d|½|0\.5)){2,3}$")
AS_NEEDED = "SOS"
REFERRAL_URGENCIES = ("routine", "urgent", "emergency")
SEXES = ("female", "male", "other")
MAX_ITEMS = 8
MAX_DAYS = 90
MAX_FOLLOW_UP_DAYS = 180


@dataclass
class DraftItem:
    """One medicine line as the doctor wrote it.

    ``strength`` may be omitted when the medicine has one strength; ``dose``,
    ``frequency`` and ``duration_days`` default to the formulary's.
    """

    medicine_code: str
    strength: str | None = None
    dose: str | None = None
    frequency: str | None = None  # "1-0-1", "1-1-1-1", "SOS"
    duration_days: int | None = None
    instructions: str | None = None


@dataclass
class PrescriptionDraft:
    """A prescription before it is issued.

    The patient fields are what the doctor confirmed with the ANM; they fill in what
    the IVR could not capture (the name is only a recording there).
    """

    diagnosis: str
    items: list[DraftItem] = field(default_factory=list)
    advice: str | None = None
    tests: list[str] = field(default_factory=list)
    follow_up_on: date | None = None
    referral_to: str | None = None
    referral_urgency: str | None = None  # routine / urgent / emergency
    patient_name: str | None = None
    patient_age: int | None = None
    patient_sex: str | None = None


@dataclass(frozen=True)
class ResolvedItem:
    """A checked medicine line, with the formulary entry and defaults applied."""

    medicine: Medicine
    strength: str
    dose: str
    frequency: str
    duration_days: int
    instructions: str | None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def valid_frequency(value: str) -> bool:
    """Whether ``value`` is a compact frequency with at least one dose, or SOS."""
    if value.upper() == AS_NEEDED:
        return True
    return bool(FREQUENCY_RE.match(value)) and any(p not in ("0",) for p in value.split("-"))


def resolve_item(
    item: DraftItem, mode: str, policy: Policy | None, problems: list[str], n: int
) -> ResolvedItem | None:
    """Check one line, appending a plain message to ``problems`` for each thing wrong."""
    try:
        medicine = get_medicine(item.medicine_code)
    except UnknownMedicine:
        problems.append(f"Medicine {n}: {item.medicine_code!r} is not in the formulary.")
        return None
    before = len(problems)
    verdict = check_medicine(medicine, mode, policy)
    if not verdict.allowed:
        problems.append(verdict.reason)
    strength = _text(item.strength)
    if strength is None and len(medicine.strengths) == 1:
        strength = medicine.strengths[0]
    if strength is None:
        problems.append(f"{medicine.name}: choose a strength ({', '.join(medicine.strengths)}).")
    elif strength not in medicine.strengths:
        problems.append(
            f"{medicine.name}: {strength} is not a stocked strength "
            f"({', '.join(medicine.strengths)})."
        )
    dose = _text(item.dose) or medicine.dose
    if len(dose) > 20:
        problems.append(f"{medicine.name}: the dose must be at most 20 characters.")
    frequency = (_text(item.frequency) or medicine.frequency).replace(" ", "")
    if not valid_frequency(frequency):
        problems.append(
            f"{medicine.name}: frequency {frequency!r} should look like 1-0-1 "
            "(morning-afternoon-night) or SOS."
        )
    days = item.duration_days if item.duration_days is not None else medicine.days
    if not 1 <= days <= MAX_DAYS:
        problems.append(f"{medicine.name}: duration must be 1 to {MAX_DAYS} days, not {days}.")
    instructions = _text(item.instructions) or medicine.instructions
    if instructions and len(instructions) > 200:
        problems.append(f"{medicine.name}: instructions must be at most 200 characters.")
    if len(problems) > before or strength is None:
        return None
    if frequency.upper() == AS_NEEDED:
        frequency = AS_NEEDED
    return ResolvedItem(medicine, strength, dose, frequency, days, instructions)


def check_draft_fields(
    draft: PrescriptionDraft, mode: str, policy: Policy | None, today: date, problems: list[str]
) -> list[ResolvedItem]:
    """Check everything in the draft itself; return the resolved medicine lines."""
    diagnosis = _text(draft.diagnosis)
    if diagnosis is None:
        problems.append("Write the diagnosis or provisional diagnosis.")
    elif len(diagnosis) > 500:
        problems.append("The diagnosis must be at most 500 characters.")
    if len(draft.items) > MAX_ITEMS:
        problems.append(f"At most {MAX_ITEMS} medicines in one prescription.")
    seen: set[str] = set()
    resolved: list[ResolvedItem] = []
    for n, item in enumerate(draft.items, start=1):
        if item.medicine_code in seen:
            problems.append(f"Medicine {n}: {item.medicine_code} is listed twice.")
            continue
        seen.add(item.medicine_code)
        line = resolve_item(item, mode, policy, problems, n)
        if line is not None:
            resolved.append(line)
    if not draft.items and not _text(draft.advice) and not _text(draft.referral_to):
        problems.append("Add a medicine, advice or a referral: the prescription is empty.")
    if draft.advice and len(draft.advice) > 1000:
        problems.append("Advice must be at most 1000 characters.")
    if any(len(t) > 80 for t in draft.tests):
        problems.append("Each test must be at most 80 characters.")
    if draft.follow_up_on is not None:
        if draft.follow_up_on <= today:
            problems.append("The follow-up date must be after today.")
        elif draft.follow_up_on > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
            problems.append(f"The follow-up date must be within {MAX_FOLLOW_UP_DAYS} days.")
    referral = _text(draft.referral_to)
    if referral and draft.referral_urgency not in REFERRAL_URGENCIES:
        problems.append("Say how urgent the referral is: routine, urgent or emergency.")
    if draft.referral_urgency and not referral:
        problems.append("A referral urgency is given but not where to refer.")
    if referral and len(referral) > 200:
        problems.append("The referral must be at most 200 characters.")
    return resolved
