"""Prescriptions: immutable once issued; a correction is a new version."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_time, intpk, json_list
from models.consultation import Consultation
from models.district import Staff


class Prescription(Base):
    """What the doctor issued, with the identity fields the Telemedicine Practice
    Guidelines require copied in at issue time (so later registry edits never
    change an issued prescription)."""

    __tablename__ = "prescriptions"
    __table_args__ = (UniqueConstraint("consultation_id", "version"),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(12), unique=True)
    #: the code as keyed on a phone (a letter is its key: K -> 5), for a check by call;
    #: set at issue (``prescriptions.codes.keypad_code``), several codes may share it
    keypad_code: Mapped[str | None] = mapped_column(String(12), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    doctor_name: Mapped[str] = mapped_column(String(80))
    doctor_qualification: Mapped[str] = mapped_column(String(120))
    doctor_registration: Mapped[str] = mapped_column(String(60))
    hub_name: Mapped[str] = mapped_column(String(200))
    patient_name: Mapped[str] = mapped_column(String(80))
    patient_age: Mapped[int] = mapped_column(Integer)
    patient_sex: Mapped[str] = mapped_column(String(8))
    diagnosis: Mapped[str] = mapped_column(Text)
    advice: Mapped[str | None] = mapped_column(Text)
    tests: Mapped[json_list]
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    referral_to: Mapped[str | None] = mapped_column(String(200))
    referral_urgency: Mapped[str | None] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(40), default="audio_anm_first")
    issued_at: Mapped[created_time]
    superseded_at: Mapped[datetime | None]
    consultation: Mapped[Consultation] = relationship()
    doctor: Mapped[Staff] = relationship()
    items: Mapped[list[PrescriptionItem]] = relationship(
        back_populates="prescription", cascade="all, delete-orphan", order_by="PrescriptionItem.id"
    )

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    def __repr__(self) -> str:
        return f"Prescription(code={self.code!r}, version={self.version})"


class PrescriptionItem(Base):
    """One medicine line: what, how strong, how much, how often, how long."""

    __tablename__ = "prescription_items"

    id: Mapped[intpk]
    prescription_id: Mapped[int] = mapped_column(
        ForeignKey("prescriptions.id", ondelete="CASCADE"), index=True
    )
    medicine_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    strength: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(20))
    dose: Mapped[str] = mapped_column(String(20))  # e.g. "1 tab"
    frequency: Mapped[str] = mapped_column(String(12))  # compact, e.g. "1-0-1"
    duration_days: Mapped[int] = mapped_column(Integer)
    instructions: Mapped[str | None] = mapped_column(String(200))
    drug_list: Mapped[str] = mapped_column(String(12))  # "O", "A", "B"
    prescription: Mapped[Prescription] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"PrescriptionItem({self.name!r} {self.strength} {self.frequency})"
