"""What the HWC did with a prescription: dispensed it, or found medicines not in stock.

An issued prescription never changes (``prescriptions.guard``), so the ANM's record of
dispensing lives in rows of its own, one per action; the newest row is where it stands.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_time, intpk, json_list
from models.district import Staff
from models.prescription import Prescription


class DispenseOutcome(enum.StrEnum):
    """What the ANM recorded."""

    DISPENSED = "dispensed"  # the patient got the medicines
    NOT_IN_STOCK = "not_in_stock"  # some were missing: the doctor is asked for an alternative


class PrescriptionDispensing(Base):
    """One action of an ANM on a prescription (who, when, which medicines were missing)."""

    __tablename__ = "prescription_dispensings"

    id: Mapped[intpk]
    prescription_id: Mapped[int] = mapped_column(
        ForeignKey("prescriptions.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))  # a DispenseOutcome value
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    #: the names of the medicines not in stock (as prescribed), for ``not_in_stock``
    missing: Mapped[json_list]
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[created_time]
    prescription: Mapped[Prescription] = relationship()
    staff: Mapped[Staff] = relationship()

    @property
    def dispensed(self) -> bool:
        return self.outcome == DispenseOutcome.DISPENSED

    def __repr__(self) -> str:
        return f"PrescriptionDispensing(rx={self.prescription_id}, {self.outcome}, at={self.at})"
