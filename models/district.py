"""The district registry: blocks, hubs, spokes (HWCs), staff and duty rosters."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
    and_,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_time, db_enum, e164, intpk, json_list, str40, str80, str200


class StaffRole(enum.StrEnum):
    """What a staff member does in the service."""

    ANM = "anm"
    DOCTOR = "doctor"
    PHARMACIST = "pharmacist"
    HUB_ADMIN = "hub_admin"
    DISTRICT_ADMIN = "district_admin"


class NumberKind(enum.StrEnum):
    """What a dialled service number means to the IVR."""

    SPOKE = "spoke"  # rings one HWC: identifies the spoke directly
    DISTRICT = "district"  # district-wide (toll-free): the spoke is found or asked
    MISSED_CALL = "missed_call"  # rejected at no cost, then called back


class District(Base):
    __tablename__ = "districts"

    id: Mapped[intpk]
    code: Mapped[str40] = mapped_column(unique=True)
    name: Mapped[str80]
    state: Mapped[str80]
    std_code: Mapped[str | None] = mapped_column(String(8))
    #: The ambulance or control-room line an emergency caller is connected to (press 1),
    #: E.164; '' when none is known: the caller is told to dial 108 from their own phone.
    #: Never a short code such as 108: Twilio dials only E.164 numbers.
    ambulance_number: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: The former name, still read by ``ivr.store``.
    blocks: Mapped[list[Block]] = relationship(back_populates="district")
    hubs: Mapped[list[Hub]] = relationship(back_populates="district")

    def __repr__(self) -> str:
        return f"District(code={self.code!r}, name={self.name!r})"


class Block(Base):
    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    name: Mapped[str80]
    district: Mapped[District] = relationship(back_populates="blocks")
    spokes: Mapped[list[Spoke]] = relationship(back_populates="block")

    def __repr__(self) -> str:
        return f"Block(name={self.name!r})"


class Hub(Base):
    """A hub hospital (district hospital, referral hospital, medical college)."""

    __tablename__ = "hubs"

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    code: Mapped[str40] = mapped_column(unique=True)
    name: Mapped[str200]
    kind: Mapped[str40]
    specialties: Mapped[json_list]
    district: Mapped[District] = relationship(back_populates="hubs")
    spokes: Mapped[list[Spoke]] = relationship(back_populates="hub")
    staff: Mapped[list[Staff]] = relationship(back_populates="hub")

    def __repr__(self) -> str:
        return f"Hub(code={self.code!r}, name={self.name!r})"


class Spoke(Base):
    """A Health & Wellness Centre; ``short_code`` is displayed on its wall for the IVR."""

    __tablename__ = "spokes"

    id: Mapped[intpk]
    code: Mapped[str40] = mapped_column(unique=True)
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str200]
    village: Mapped[str | None] = mapped_column(String(80))
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"))
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"))
    block: Mapped[Block] = relationship(back_populates="spokes")
    hub: Mapped[Hub] = relationship(back_populates="spokes")
    numbers: Mapped[list[ServiceNumber]] = relationship(back_populates="spoke")
    staff: Mapped[list[Staff]] = relationship(back_populates="spoke")

    def __repr__(self) -> str:
        return f"Spoke(code={self.code!r}, short_code={self.short_code!r})"


class ServiceNumber(Base):
    """A number patients dial: a spoke's own, a district-wide line, or a missed-call line."""

    __tablename__ = "service_numbers"

    id: Mapped[intpk]
    number: Mapped[e164] = mapped_column(unique=True)
    kind: Mapped[NumberKind] = mapped_column(db_enum(NumberKind, "number_kind"))
    spoke_id: Mapped[int | None] = mapped_column(ForeignKey("spokes.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    spoke: Mapped[Spoke | None] = relationship(back_populates="numbers")

    def __repr__(self) -> str:
        return f"ServiceNumber({self.number!r}, kind={self.kind.value!r})"


class Staff(Base):
    """An ANM, doctor, pharmacist or administrator, identified by a mobile number."""

    __tablename__ = "staff"

    id: Mapped[intpk]
    code: Mapped[str40] = mapped_column(unique=True)
    name: Mapped[str80]
    role: Mapped[StaffRole] = mapped_column(db_enum(StaffRole, "staff_role"))
    mobile: Mapped[e164] = mapped_column(unique=True)
    languages: Mapped[json_list]
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    spoke_id: Mapped[int | None] = mapped_column(ForeignKey("spokes.id"))
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id"))
    specialty: Mapped[str | None] = mapped_column(String(40))
    qualification: Mapped[str | None] = mapped_column(String(120))
    registration_number: Mapped[str | None] = mapped_column(String(60))
    rank: Mapped[int] = mapped_column(Integer, default=1)  # order among a spoke's ANMs
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    missed_offers: Mapped[int] = mapped_column(Integer, default=0)
    idle_since: Mapped[datetime | None]
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: set by ``sampark staff set-password`` or an admin's reset: change it at next login
    password_must_change: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[created_time]
    spoke: Mapped[Spoke | None] = relationship(back_populates="staff")
    hub: Mapped[Hub | None] = relationship(back_populates="staff")
    rosters: Mapped[list[Roster]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"Staff(code={self.code!r}, role={self.role.value!r})"


#: Who may check a prescription's code, by SMS (``prescriptions/verify.py``) or by phone
#: call (``prescriptions/check.py``; the IVR offers it, ``ivr/returning.py``).
RX_VERIFIER_ROLES = (StaffRole.ANM, StaffRole.PHARMACIST)


def rx_verifier(mobile: str) -> ColumnElement[bool]:
    """The staff row that may check prescriptions from ``mobile``: an active ANM or
    pharmacist registered with that number (one rule for the SMS and the phone call)."""
    return and_(Staff.mobile == mobile, Staff.active.is_(True), Staff.role.in_(RX_VERIFIER_ROLES))


class Roster(Base):
    """A weekly duty slot in IST wall-clock time (weekday 0 = Monday)."""

    __tablename__ = "rosters"
    __table_args__ = (UniqueConstraint("staff_id", "weekday", "starts"),)

    id: Mapped[intpk]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    staff: Mapped[Staff] = relationship(back_populates="rosters")

    def covers(self, weekday: int, moment: time) -> bool:
        """Whether this slot covers an IST weekday and wall-clock time."""
        return slot_covers(self.weekday, self.starts, self.ends, weekday, moment)

    def __repr__(self) -> str:
        return (
            f"Roster(staff_id={self.staff_id}, weekday={self.weekday}, {self.starts}-{self.ends})"
        )


def slot_covers(day: int, starts: time, ends: time, weekday: int, moment: time) -> bool:
    """Whether a roster slot (``day`` ``starts``-``ends``) covers an IST weekday and time."""
    if starts <= ends:
        return weekday == day and starts <= moment < ends
    # A night shift: from ``starts`` on ``day`` to ``ends`` the next morning.
    return (weekday == day and moment >= starts) or (weekday == (day + 1) % 7 and moment < ends)
