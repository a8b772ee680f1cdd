"""A small district for tests: 2 blocks, 2 hubs, 3 spokes, ANMs, doctors on duty all week.

Numbers are fictional (+91 9990xxxxxx mobiles, 06456-2xxxxx landlines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from models import (
    Block,
    Consultation,
    ConsultationState,
    District,
    Hub,
    NumberKind,
    Patient,
    Roster,
    ServiceNumber,
    Spoke,
    Staff,
    StaffRole,
)

ALL_DAY = (time(0, 0), time(23, 59, 59))


@dataclass
class MiniDistrict:
    """Ids and numbers of what ``build_mini_district`` created."""

    district_id: int = 0
    spoke_ids: dict[str, int] = field(default_factory=dict)  # spoke code -> id
    spoke_numbers: dict[str, str] = field(default_factory=dict)  # spoke code -> its number
    district_number: str = "+9118001230001"
    missed_call_number: str = "+916456220099"
    anms: dict[str, str] = field(default_factory=dict)  # staff code -> mobile
    doctors: dict[str, str] = field(default_factory=dict)  # staff code -> mobile
    admin_mobile: str = "+919990000001"


def _on_duty(staff: Staff) -> None:
    staff.rosters = [Roster(weekday=d, starts=ALL_DAY[0], ends=ALL_DAY[1]) for d in range(7)]


def build_mini_district(session: Session) -> MiniDistrict:
    """Create the small district in ``session`` (flushed, not committed)."""
    out = MiniDistrict()
    district = District(code="KSG", name="Kishanganj", state="Bihar", std_code="06456")
    session.add(district)
    session.flush()
    out.district_id = district.id
    blocks = [Block(district=district, name=n) for n in ("Kishanganj", "Pothia")]
    hubs = [
        Hub(
            district=district,
            code="H-DH",
            name="Sadar Hospital Kishanganj",
            kind="district",
            specialties=["general_medicine", "paediatrics", "obgyn", "dermatology"],
        ),
        Hub(
            district=district,
            code="H-MC",
            name="Medical College Kishanganj",
            kind="college",
            specialties=["general_medicine", "paediatrics", "obgyn"],
        ),
    ]
    session.add_all(blocks + hubs)
    spokes = [
        Spoke(
            code="HWC-001",
            short_code="101",
            name="HWC Belwa",
            village="Belwa",
            block=blocks[0],
            hub=hubs[0],
        ),
        Spoke(
            code="HWC-002",
            short_code="102",
            name="HWC Daula",
            village="Daula",
            block=blocks[0],
            hub=hubs[0],
        ),
        Spoke(
            code="HWC-003",
            short_code="203",
            name="HWC Pothia",
            village="Pothia",
            block=blocks[1],
            hub=hubs[1],
        ),
    ]
    session.add_all(spokes)
    session.flush()
    for i, spoke in enumerate(spokes, start=1):
        number = f"+91645622{i:04d}"
        session.add(
            ServiceNumber(
                number=number,
                kind=NumberKind.SPOKE,
                spoke=spoke,
                district_id=district.id,
                fictional=True,
            )
        )
        out.spoke_ids[spoke.code] = spoke.id
        out.spoke_numbers[spoke.code] = number
    session.add(
        ServiceNumber(
            number=out.district_number,
            kind=NumberKind.DISTRICT,
            district_id=district.id,
            fictional=True,
        )
    )
    session.add(
        ServiceNumber(
            number=out.missed_call_number,
            kind=NumberKind.MISSED_CALL,
            district_id=district.id,
            fictional=True,
        )
    )
    anm_specs = [
        ("ANM-001", "Sunita Devi", spokes[0], 1),
        ("ANM-002", "Rehana Khatun", spokes[0], 2),
        ("ANM-003", "Mamta Kumari", spokes[1], 1),
        ("ANM-004", "Nasreen Bano", spokes[2], 1),
    ]
    for n, (code, name, spoke, rank) in enumerate(anm_specs, start=1):
        anm = Staff(
            code=code,
            name=name,
            role=StaffRole.ANM,
            mobile=f"+9199901{n:05d}",
            languages=["hi", "ur"],
            district_id=district.id,
            spoke=spoke,
            rank=rank,
            fictional=True,
        )
        _on_duty(anm)
        session.add(anm)
        out.anms[code] = anm.mobile
    doctor_specs = [
        ("DR-GM-1", "Dr. Anil Prasad", hubs[0], "general_medicine", ["hi", "en"]),
        ("DR-GM-2", "Dr. Farhana Ahmed", hubs[1], "general_medicine", ["hi", "ur", "en"]),
        ("DR-PD-1", "Dr. Kavita Singh", hubs[0], "paediatrics", ["hi", "en"]),
        ("DR-OG-1", "Dr. Shabnam Ara", hubs[0], "obgyn", ["hi", "ur", "bn"]),
        ("DR-DM-1", "Dr. Rajesh Das", hubs[0], "dermatology", ["hi", "bn", "en"]),
    ]
    for n, (code, name, hub, specialty, langs) in enumerate(doctor_specs, start=1):
        doctor = Staff(
            code=code,
            name=name,
            role=StaffRole.DOCTOR,
            mobile=f"+9199902{n:05d}",
            languages=langs,
            district_id=district.id,
            hub=hub,
            specialty=specialty,
            qualification="MBBS, MD",
            registration_number=f"BMC-{40000 + n}",
            fictional=True,
        )
        _on_duty(doctor)
        session.add(doctor)
        out.doctors[code] = doctor.mobile
    session.add(
        Staff(
            code="ADM-1",
            name="District Programme Manager",
            mobile=out.admin_mobile,
            role=StaffRole.DISTRICT_ADMIN,
            languages=["hi", "en"],
            district_id=district.id,
            fictional=True,
        )
    )
    session.flush()
    return out


def intake_done(session: Session, spoke_id: int | None, n: int, **fields: Any) -> Consultation:
    """Consultation ``n`` as the IVR leaves it: answers given, ``intake_complete`` (or
    ``emergency`` with ``emergency=True``); ``age`` sets the patient's, 30 by default."""
    age = fields.pop("age", 30)
    mobile = f"+9198{n:08d}"
    c = Consultation(
        reference=f"F{n:05d}",
        caller_mobile=mobile,
        spoke_id=spoke_id,
        patient=Patient(mobile=mobile, age_years=age, sex="female"),
        language="hi",
        consent=True,
        days=2,
        **{"complaint": "fever", **fields},
    )
    session.add(c)
    session.flush()
    state = ConsultationState.EMERGENCY if c.emergency else ConsultationState.INTAKE_COMPLETE
    c.transition(state, "ivr-complete")
    return c
