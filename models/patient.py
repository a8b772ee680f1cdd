"""Patients, identified by the mobile number they call from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, caller_id, created_time, intpk


class Patient(Base):
    """A person who is cared for.

    The caller is a patient identified by ``mobile``; a child or relative who is
    the subject of a call shares that mobile and links to the caller through
    ``caregiver_id``.
    """

    __tablename__ = "patients"

    id: Mapped[intpk]
    mobile: Mapped[caller_id] = mapped_column(index=True)  # the number they call from
    name: Mapped[str | None] = mapped_column(String(80))
    name_recording_url: Mapped[str | None] = mapped_column(String(500))
    age_years: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))  # "female", "male", "other"
    village: Mapped[str | None] = mapped_column(String(80))
    preferred_language: Mapped[str] = mapped_column(String(8), default="hi")
    sms_script: Mapped[str | None] = mapped_column(String(12))  # "native" or "roman"
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    relation: Mapped[str | None] = mapped_column(String(20))  # "child", "relative"
    created_at: Mapped[created_time]
    updated_at: Mapped[datetime | None]
    caregiver: Mapped[Patient | None] = relationship(remote_side="Patient.id")

    def __repr__(self) -> str:
        return f"Patient(id={self.id}, mobile={self.mobile!r}, relation={self.relation!r})"
