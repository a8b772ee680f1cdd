"""The prescription form: its fields as typed, parsed into a ``PrescriptionDraft``.

No JavaScript: a medicine is chosen from one ``<select>`` per row (medicine and
strength together), empty dose/frequency/days take the formulary's defaults, and
"add a row" is a submit button that re-renders the form with one more row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from models import Consultation, Patient, Prescription
from prescriptions.draft import MAX_ITEMS, DraftItem, PrescriptionDraft
from prescriptions.formulary import DrugList, Medicine, all_medicines, get_medicine
from prescriptions.policy import Verdict, check_medicine, mode_for

DEFAULT_ROWS = 2
URGENCIES = ("routine", "urgent", "emergency")


@dataclass
class Row:
    """One medicine row as typed; ``choice`` is ``"<code>|<strength>"``."""

    choice: str = ""
    dose: str = ""
    frequency: str = ""
    days: str = ""
    instructions: str = ""
    verdict: Verdict | None = None  # filled when the chosen medicine is not allowed

    @property
    def code(self) -> str:
        return self.choice.split("|", 1)[0]

    @property
    def strength(self) -> str | None:
        parts = self.choice.split("|", 1)
        return parts[1] if len(parts) == 2 and parts[1] else None


@dataclass
class RxForm:
    """Everything on the form, as strings (so it can be shown again unchanged)."""

    diagnosis: str = ""
    rows: list[Row] = field(default_factory=list)
    advice: str = ""
    tests: str = ""
    follow_up_on: str = ""
    referral_to: str = ""
    referral_urgency: str = ""
    patient_name: str = ""
    patient_age: str = ""
    patient_sex: str = ""
    reason: str = ""  # a correction's reason

    @classmethod
    def blank(cls, patient: Patient | None) -> RxForm:
        form = cls(rows=[Row() for _ in range(DEFAULT_ROWS)])
        if patient is not None:
            form.patient_name = patient.name or ""
            form.patient_age = "" if patient.age_years is None else str(patient.age_years)
            form.patient_sex = patient.sex or ""
        return form

    @classmethod
    def from_prescription(cls, rx: Prescription) -> RxForm:
        """A form holding an issued prescription (the start of a correction)."""
        rows = [
            Row(
                choice=f"{item.medicine_code}|{item.strength}",
                dose=item.dose,
                frequency=item.frequency,
                days=str(item.duration_days),
                instructions=item.instructions or "",
            )
            for item in rx.items
        ]
        rows.append(Row())
        return cls(
            diagnosis=rx.diagnosis,
            rows=rows,
            advice=rx.advice or "",
            tests="\n".join(rx.tests or []),
            follow_up_on=rx.follow_up_on.isoformat() if rx.follow_up_on else "",
            referral_to=rx.referral_to or "",
            referral_urgency=rx.referral_urgency or "",
            patient_name=rx.patient_name,
            patient_age=str(rx.patient_age),
            patient_sex=rx.patient_sex,
        )

    @classmethod
    def from_request(cls, data: MultiDict[str, str]) -> RxForm:
        """The form as posted (every field cut to a sane length)."""

        def get(name: str, limit: int = 200) -> str:
            return (data.get(name) or "").strip()[:limit]

        try:
            count = min(int(data.get("rows", DEFAULT_ROWS)), MAX_ITEMS)
        except ValueError:
            count = DEFAULT_ROWS
        rows = [
            Row(
                choice=get(f"m{i}", 80),
                dose=get(f"d{i}", 20),
                frequency=get(f"f{i}", 12),
                days=get(f"n{i}", 4),
                instructions=get(f"i{i}"),
            )
            for i in range(max(count, 1))
        ]
        return cls(
            diagnosis=get("diagnosis", 500),
            rows=rows,
            advice=get("advice", 1000),
            tests=get("tests", 1000),
            follow_up_on=get("follow_up_on", 10),
            referral_to=get("referral_to"),
            referral_urgency=get("referral_urgency", 20),
            patient_name=get("patient_name", 80),
            patient_age=get("patient_age", 3),
            patient_sex=get("patient_sex", 8),
            reason=get("reason", 500),
        )

    def add_row(self) -> None:
        if len(self.rows) < MAX_ITEMS:
            self.rows.append(Row())

    def check_medicines(self, mode: str) -> list[Verdict]:
        """Mark each chosen medicine the policy refuses (reason shown beside its row)."""
        refused = []
        for row in self.rows:
            row.verdict = None
            if row.code:
                verdict = check_medicine(row.code, mode)
                if not verdict.allowed:
                    row.verdict = verdict
                    refused.append(verdict)
        return refused

    def to_draft(self) -> tuple[PrescriptionDraft, list[str]]:
        """The draft to issue, and the problems found while reading the typed values."""
        problems: list[str] = []
        items = []
        for n, row in enumerate(self.rows, start=1):
            if not row.code:
                continue
            days: int | None = None
            if row.days:
                try:
                    days = int(row.days)
                except ValueError:
                    problems.append(
                        gettext(
                            "Medicine %(n)d: days must be a number, not %(days)r.",
                            n=n,
                            days=row.days,
                        )
                    )
            items.append(
                DraftItem(
                    medicine_code=row.code,
                    strength=row.strength,
                    dose=row.dose or None,
                    frequency=row.frequency or None,
                    duration_days=days,
                    instructions=row.instructions or None,
                )
            )
        follow_up: date | None = None
        if self.follow_up_on:
            try:
                follow_up = date.fromisoformat(self.follow_up_on)
            except ValueError:
                problems.append(gettext("The follow-up date is not a date (use the calendar)."))
        age: int | None = None
        if self.patient_age:
            try:
                age = int(self.patient_age)
            except ValueError:
                problems.append(gettext("The patient's age must be a number of years."))
        draft = PrescriptionDraft(
            diagnosis=self.diagnosis,
            items=items,
            advice=self.advice or None,
            tests=[line.strip() for line in self.tests.splitlines() if line.strip()],
            follow_up_on=follow_up,
            referral_to=self.referral_to or None,
            referral_urgency=self.referral_urgency or None,
            patient_name=self.patient_name or None,
            patient_age=age,
            patient_sex=self.patient_sex or None,
        )
        return draft, problems


@dataclass(frozen=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True)
class OptionGroup:
    label: str
    options: list[Option]


def medicine_options(mode: str) -> list[OptionGroup]:
    """The formulary for the form: allowed in this mode first, then the rest, then prohibited."""
    allowed: list[Option] = []
    refused: list[Option] = []
    prohibited: list[Option] = []
    for medicine in all_medicines():
        name = medicine.name
        if medicine.form.split()[-1].lower() not in name.lower():
            name = f"{name} {medicine.form}"
        options = [Option(f"{medicine.code}|{s}", f"{name} {s}") for s in medicine.strengths]
        if medicine.drug_list is DrugList.PROHIBITED:
            prohibited.extend(options)
        elif check_medicine(medicine, mode).allowed:
            allowed.extend(options)
        else:
            refused.extend(options)
    return [
        OptionGroup(gettext("Allowed in this consultation"), allowed),
        OptionGroup(gettext("Not allowed in this consultation"), refused),
        OptionGroup(gettext("Prohibited by telemedicine"), prohibited),
    ]


def default_hint(row: Row) -> Medicine | None:
    """The formulary entry of a row (for its defaults as placeholders), if any."""
    if not row.code:
        return None
    try:
        return get_medicine(row.code)
    except KeyError:
        return None


def consultation_mode(consultation: Consultation) -> str:
    return mode_for(consultation)


def form_context(
    c: Consultation, form: RxForm | None = None, problems: list[str] | None = None
) -> dict[str, Any]:
    """What the prescription form's template needs (a blank form unless one is given)."""
    mode = consultation_mode(c)
    return {
        "form": form or RxForm.blank(c.patient),
        "problems": problems or [],
        "mode": mode,
        "option_groups": medicine_options(mode),
        "urgencies": URGENCIES,
        "default_hint": default_hint,
    }
