"""The simulated district and the mix of patients ``sampark simulate`` runs through.

Everyone is fictional and on duty all week; the size grows with the number of
patients so that a peak hour is busy but served.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from models import Block, District, Hub, NumberKind, Roster, ServiceNumber, Spoke, Staff, StaffRole
from ops.simulate_callers import caller_script, pick_scenario, with_spoke_code
from standin import PhoneScript

SPECIALTIES = ("general_medicine", "paediatrics", "obgyn", "dermatology")
#: Share of doctors per specialty (general medicine carries most of the load).
SPECIALTY_SHARE = {"general_medicine": 0.5, "paediatrics": 0.2, "obgyn": 0.2, "dermatology": 0.1}
LANGUAGES = ("hi", "ur", "bn", "en")
#: The district-wide toll-free line (fictional): the only kind of Indian number Twilio has.
DISTRICT_LINE = "+9118004569000"


def spoke_number(index: int) -> str:
    """The landline of the ``index``-th simulated spoke (fictional, Indian)."""
    return f"+9164569{index:05d}"


@dataclass
class SimDistrict:
    """What was built: numbers to give the stand-in, spokes to call from."""

    district_line: str = DISTRICT_LINE  # toll-free; the IVR asks for the spoke's short code
    spoke_ids: list[int] = field(default_factory=list)
    spoke_numbers: list[str] = field(default_factory=list)
    spoke_codes: list[str] = field(default_factory=list)  # short codes, as spoke_ids
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
    session.add(
        ServiceNumber(
            number=DISTRICT_LINE, kind=NumberKind.DISTRICT, district_id=district.id, fictional=True
        )
    )
    n_spokes = max(3, min(60, patients // 10))
    for i in range(n_spokes):
        spoke = Spoke(
            code=f"SIM-{i:03d}",
            short_code=f"9{i:03d}",
            name=f"HWC {i}",
            block=blocks[i % len(blocks)],
            hub=hubs[i % len(hubs)],
        )
        number = spoke_number(i)
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
        out.spoke_codes.append(spoke.short_code)
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
    """One scripted patient: who dials which spoke when, and what their phone does.

    ``scenario`` is what they do in the IVR (``ops.simulate_callers``); ``kind`` is
    how their phone takes our call-backs: answers, flaky (misses the first, answers the
    next), unreachable (never answers) or machine (voicemail). ``dials`` is the number
    they ring: their spoke's own, or the district line, where they key the spoke's code.
    """

    mobile: str
    spoke_id: int
    spoke_number: str
    dials: str
    scenario: str
    language: str
    kind: str
    arrives_after: float  # seconds after the start
    phone: PhoneScript
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def emergency(self) -> bool:
        return self.scenario == "emergency"

    def script(self) -> PhoneScript:
        return self.phone


#: How a phone takes our call-backs (callers of the "unreachable" scenario never answer).
KINDS = (("answers", 85), ("flaky", 10), ("machine", 5))
#: A caller stays on the line at most this long (the intake, the wait and the talk).
CALLER_HANGUP_AFTER_S = 1200.0


def journeys(
    n: int,
    district: SimDistrict,
    rng: random.Random,
    over_seconds: float,
    *,
    via_district_line: bool = False,
) -> list[Journey]:
    """``n`` patients dialling in at random over ``over_seconds``, with a mix of scenarios.

    ``via_district_line``: they ring the toll-free district line and key their spoke's
    short code when asked (a district on Twilio in India, whose spoke landlines cannot be
    Twilio numbers); else each rings their spoke's own number.
    """
    out = []
    for i in range(n):
        scenario = pick_scenario(i, rng)
        language, phone, facts = caller_script(
            scenario, rng, i, answer_after=4.0, hangup_after=CALLER_HANGUP_AFTER_S
        )
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        if scenario == "unreachable":
            kind = "unreachable"
        elif kind == "flaky":
            phone.outcome = "no-answer"  # the first call-back; answered after (simulate.py)
        elif kind == "machine":
            phone.outcome = "machine"
        spoke = rng.randrange(len(district.spoke_ids))
        if via_district_line:
            phone.digits = with_spoke_code(phone.digits, district.spoke_codes[spoke])
        out.append(
            Journey(
                mobile=f"+91970{i:07d}",
                spoke_id=district.spoke_ids[spoke],
                spoke_number=district.spoke_numbers[spoke],
                dials=district.district_line
                if via_district_line
                else district.spoke_numbers[spoke],
                scenario=scenario,
                language=language,
                kind=kind,
                arrives_after=rng.uniform(0, over_seconds),
                phone=phone,
                facts=facts,
            )
        )
    return sorted(out, key=lambda j: j.arrives_after)
