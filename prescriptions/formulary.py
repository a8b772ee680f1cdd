"""The formulary: the medicines a doctor can prescribe, each tagged with its TPG list."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

FORMULARY_PATH = Path(__file__).with_name("formulary.yaml")


class DrugList(enum.StrEnum):
    """The Telemedicine Practice Guidelines' medicine lists."""

    O = "O"  # noqa: E741 - the guidelines' own name
    A = "A"
    B = "B"
    PROHIBITED = "prohibited"


@dataclass(frozen=True)
class Medicine:
    """One formulary entry, with what the prescription form pre-fills."""

    code: str
    name: str
    form: str
    strengths: tuple[str, ...]
    dose: str
    frequency: str
    days: int
    drug_list: DrugList
    instructions: str | None = None
    why: str | None = None  # why a prohibited medicine is prohibited (e.g. "NDPS narcotic")

    @property
    def label(self) -> str:
        """What the doctor reads in a list, e.g. ``Amoxicillin capsule``."""
        return f"{self.name} {self.form}"


class UnknownMedicine(KeyError):
    """A medicine code that is not in the formulary."""


def _medicine(raw: dict[str, Any]) -> Medicine:
    return Medicine(
        code=str(raw["code"]),
        name=str(raw["name"]),
        form=str(raw["form"]),
        strengths=tuple(str(s) for s in raw["strengths"]),
        dose=str(raw["dose"]),
        frequency=str(raw["frequency"]),
        days=int(raw["days"]),
        drug_list=DrugList(str(raw["list"])),
        instructions=raw.get("instructions"),
        why=raw.get("why"),
    )


def load_formulary(path: Path = FORMULARY_PATH) -> dict[str, Medicine]:
    """Read a formulary file: medicine code -> Medicine (codes must be unique)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Medicine] = {}
    for raw in data["medicines"]:
        medicine = _medicine(raw)
        if medicine.code in out:
            raise ValueError(f"{path}: medicine code {medicine.code!r} appears twice")
        out[medicine.code] = medicine
    return out


@cache
def formulary() -> dict[str, Medicine]:
    """The shipped formulary (read once per process)."""
    return load_formulary()


def get_medicine(code: str) -> Medicine:
    """The formulary entry for ``code``; raises ``UnknownMedicine``."""
    try:
        return formulary()[code]
    except KeyError:
        raise UnknownMedicine(code) from None


def all_medicines() -> list[Medicine]:
    """Every medicine, in formulary order (for the prescription form)."""
    return list(formulary().values())
