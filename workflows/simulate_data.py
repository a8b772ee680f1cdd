"""The simulated district and the mix of patients ``sampark simulate`` runs through.

Everyone is fictional and on duty all week; the size grows with the number of
patients so that a peak hour is busy but served.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy.orm import Session

from models import Block, District, Hub, NumberKind, Roster, ServiceNumber, Spoke, Staff, StaffRole
from telephony.standin import PhoneScript

SPECIALTIES = ("general_medicine", "paediatrics", "obgyn", "dermatology")
#: Share of doctors per specialty (general medicine carries most of the load).
SPECIALTY_SHARE = {"general_medicine": 0.5, "paediatrics": 0.2, "obgyn": 0.2, "dermatology": 0.1}
LANGUAGES = ("hi", "ur", "bn", "en")


@dataclass
class SimDistrict:
    """What was built: numbers to give the stand-in, spokes to call from."""

    spoke_ids: list[int] = field(default_factory=list)
    spoke_numbers: list[str] = field(default_factory=list)
    anm_mobiles: list[str] = field(default_factory=list)
    passing_anm_mobiles: list[str] = field(default_factory=list)
    doctor_mobiles: list[str] = field(default_factory=list)
    absent_doctor_mobiles: list[str] = field(default_factory=list)


def _all_week(staff: Staff) -> None:
    staff.rosters = [Roster(weekday=d, starts=time(0), ends=time(23, 59, 59)) for d in range(7)]


def build_sim_district(session: Session, patients: int, rng: random.Random) -> SimDistrict:
    """Create a fictional district sized for ``patients`` (flushed, not committed)."""
    out = SimDistrict()
    district = District(code="SIM", name="Simulated Kishanganj", state="Bihar", std_code="06456")
    blocks = [Block(district=district, name=f"Block {i}") for i in range(1, 4)]
    hubs = [
        Hub(
            district=district,
            code=f"SIM-H{i}",
            name=f"Hub {i}",
            kind="district",
            specialties=list(SPECIALTIES),
        )
        for i in range(1, 3)
    ]
    session.add_all([district, *blocks, *hubs])
    session.flush()
    n_spokes = max(3, min(60, patients // 10))
    for i in range(n_spokes):
        spoke = Spoke(
            code=f"SIM-{i:03d}",
            short_code=f"9{i:03d}",
            name=f"HWC {i}",
            block=blocks[i % len(blocks)],
            hub=hubs[i % len(hubs)],
        )
        number = f"+9164569{i:05d}"
        session.add_all(
            [
                spoke,
                ServiceNumber(
                    number=number,
                    kind=NumberKind.SPOKE,
                    spoke=spoke,
                    district_id=district.id,
                    fictional=True,
                ),
            ]
        )
        session.flush()
        out.spoke_ids.append(spoke.id)
        out.spoke_numbers.append(number)
        for rank in (1, 2):
            mobile = f"+9199961{i:03d}{rank:02d}"
            anm = Staff(
                code=f"SIM-ANM-{i}-{rank}",
                name=f"ANM {i}.{rank}",
                role=StaffRole.ANM,
                mobile=mobile,
                languages=[rng.choice(("hi", "ur", "bn"))],
                district_id=district.id,
                spoke=spoke,
                rank=rank,
                fictional=True,
            )
            _all_week(anm)
            session.add(anm)
            out.anm_mobiles.append(mobile)
            if rank == 1 and rng.random() < 0.15:
                out.passing_anm_mobiles.append(mobile)
    n_doctors = max(len(SPECIALTIES), patients // 8)
    serial = 0
    for specialty, share in SPECIALTY_SHARE.items():
        for _ in range(max(1, round(n_doctors * share))):
            serial += 1
            mobile = f"+9199962{serial:05d}"
            doctor = Staff(
                code=f"SIM-DR-{serial}",
                name=f"Dr Sim {serial}",
                role=StaffRole.DOCTOR,
                mobile=mobile,
                languages=["hi", rng.choice(LANGUAGES)],
                district_id=district.id,
                hub=hubs[serial % len(hubs)],
                specialty=specialty,
                qualification="MBBS, MD",
                registration_number=f"FICT-{serial}",
                fictional=True,
            )
            _all_week(doctor)
            session.add(doctor)
            out.doctor_mobiles.append(mobile)
            if serial % 17 == 5:
                out.absent_doctor_mobiles.append(mobile)  # never picks up
    admin = Staff(
        code="SIM-ADM",
        name="District admin",
        role=StaffRole.DISTRICT_ADMIN,
        mobile="+919996300001",
        languages=["hi", "en"],
        district_id=district.id,
        fictional=True,
    )
    session.add(admin)
    session.flush()
    return out


@dataclass(frozen=True)
class Journey:
    """One scripted patient."""

    mobile: str
    spoke_id: int
    complaint: str
    age: int
    sex: str
    language: str
    emergency: bool
    kind: str  # answers | flaky (first try missed) | unreachable | machine
    arrives_after: float  # seconds after the start

    def script(self) -> PhoneScript:
        talk = 240.0
        if self.kind in ("unreachable", "flaky"):
            return PhoneScript(outcome="no-answer")
        if self.kind == "machine":
            return PhoneScript(outcome="machine")
        return PhoneScript(answer_after=4.0, hangup_after=talk + 60)


COMPLAINTS = (
    ("fever", 30),
    ("cough_breathing", 15),
    ("pregnancy", 12),
    ("child_illness", 12),
    ("diarrhoea_vomiting", 10),
    ("skin", 8),
    ("pain", 6),
    ("bp_diabetes_followup", 5),
    ("other", 2),
)
KINDS = (("answers", 80), ("flaky", 10), ("unreachable", 6), ("machine", 4))


def journeys(
    n: int, district: SimDistrict, rng: random.Random, over_seconds: float
) -> list[Journey]:
    """``n`` patients arriving at random over ``over_seconds``, with a mix of outcomes."""
    out = []
    for i in range(n):
        complaint = rng.choices([c for c, _ in COMPLAINTS], [w for _, w in COMPLAINTS])[0]
        child = complaint == "child_illness" or rng.random() < 0.1
        out.append(
            Journey(
                mobile=f"+91970{i:07d}",
                spoke_id=rng.choice(district.spoke_ids),
                complaint=complaint,
                age=rng.randint(0, 11) if child else rng.randint(16, 80),
                sex="female" if complaint == "pregnancy" else rng.choice(("female", "male")),
                language=rng.choices(LANGUAGES, (55, 25, 15, 5))[0],
                emergency=rng.random() < 0.08,
                kind=rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0],
                arrives_after=rng.uniform(0, over_seconds),
            )
        )
    return sorted(out, key=lambda j: j.arrives_after)
