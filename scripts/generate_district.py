#!/usr/bin/env python3
"""Generate ``data/kishanganj.yaml``: a fictional registry in the real shape of Kishanganj.

Deterministic: the same seed always writes the same bytes. The shape is real (the
7 blocks, 11 hubs, 230 spokes of the district's e-telemedicine set-up); every
person, village, registration number and phone number is invented:

- staff mobiles  +91 99990 1xxxx-9xxxx  (a range unlikely to be allocated)
- spoke numbers  06456-21xxxx-23xxxx    (Kishanganj STD code, invented exchange)
- district line  1800 000 6456, missed-call line +91 99990 00100

Usage: ``python scripts/generate_district.py [--seed N] [--output FILE]``
"""

# ruff: noqa: SIM905
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import yaml

from sampark.registry import check
from sampark.registry.rosters import compact, parse_hours

SEED = 2022
OUTPUT = Path(__file__).resolve().parent.parent / "data" / "kishanganj.yaml"

GM, PAEDS, OBGYN, DERM = "general_medicine", "paediatrics", "obgyn", "dermatology"
OPD = "09:00-14:00"
EVENING = "14:00-20:00"
NIGHT = "20:00-08:00"

# Block -> number of spokes (230 in all).
BLOCKS = {
    "Kishanganj": 30,
    "Pothia": 33,
    "Bahadurganj": 34,
    "Dighalbank": 33,
    "Terhagachh": 27,
    "Thakurganj": 42,
    "Kochadhaman": 31,
}

# code, name, kind, {specialty: doctors}
HUBS: list[tuple[str, str, str, dict[str, int]]] = [
    (
        "H-DH",
        "Sadar Hospital (District Hospital), Kishanganj",
        "district_hospital",
        {GM: 5, PAEDS: 3, OBGYN: 3, DERM: 2},
    ),
    (
        "H-MCH",
        "Medical College Hospital, Kishanganj",
        "medical_college",
        {GM: 6, PAEDS: 3, OBGYN: 3, DERM: 2},
    ),
    ("H-RH-THK", "Referral Hospital, Thakurganj", "referral_hospital", {GM: 3, PAEDS: 1, OBGYN: 2}),
    (
        "H-RH-BHG",
        "Referral Hospital, Bahadurganj",
        "referral_hospital",
        {GM: 3, PAEDS: 1, OBGYN: 2},
    ),
    ("H-CHC-KSG", "Community Health Centre, Kishanganj (Sadar block)", "chc", {GM: 2, OBGYN: 1}),
    ("H-CHC-POT", "Community Health Centre, Pothia", "chc", {GM: 2, OBGYN: 1}),
    ("H-CHC-DGB", "Community Health Centre, Dighalbank", "chc", {GM: 2, OBGYN: 1}),
    ("H-CHC-TRG", "Community Health Centre, Terhagachh", "chc", {GM: 2, OBGYN: 1}),
    ("H-CHC-KCD", "Community Health Centre, Kochadhaman", "chc", {GM: 2, OBGYN: 1}),
    ("H-APHC-THK", "Additional PHC, Thakurganj (north)", "aphc", {GM: 2}),
    ("H-UPHC-KSG", "Urban PHC, Kishanganj town", "uphc", {GM: 2, PAEDS: 1}),
]

# Block -> [(hub, spokes)]: each HWC maps to a hub in or near its block.
HUB_OF_BLOCK = {
    "Kishanganj": [("H-DH", 10), ("H-CHC-KSG", 12), ("H-UPHC-KSG", 8)],
    "Pothia": [("H-CHC-POT", 23), ("H-MCH", 10)],
    "Bahadurganj": [("H-RH-BHG", 34)],
    "Dighalbank": [("H-CHC-DGB", 33)],
    "Terhagachh": [("H-CHC-TRG", 27)],
    "Thakurganj": [("H-RH-THK", 24), ("H-APHC-THK", 18)],
    "Kochadhaman": [("H-CHC-KCD", 21), ("H-DH", 10)],
}

QUALIFICATIONS = {
    GM: ["MBBS, MD (Medicine)", "MBBS"],
    PAEDS: ["MBBS, MD (Paediatrics)", "MBBS, DCH"],
    OBGYN: ["MBBS, MS (Obstetrics & Gynaecology)", "MBBS, DGO"],
    DERM: ["MBBS, MD (Dermatology, Venereology & Leprosy)"],
}

# Invented villages: a common first part and a common Seemanchal ending.
VILLAGE_HEADS = (
    "Bel Kadam Sonth Dhan Kamal Chand Bhol Kusum Pipal Ambi Jamun Simal Kathal Baans Lohar "
    "Tulsi Gopal Nayan Haldi Sundar Kalia Mohan Rasul Karim Noor Jhil Pokhar Chhatar Khagra "
    "Dohar Singhi Tara Lakhi Dumar Majh Bhelu Sikti Rahmat Barka Chhota"
).split()
VILLAGE_TAILS = "bari tola gachh jhari pur ganj hat para dangi bhita diha guri".split()

HINDU_WOMEN = (
    "Sunita Rekha Pooja Anita Kiran Manju Rina Priyanka Sarita Nisha Savitri Kumkum Mamta "
    "Sangita Babita Usha Archana Lalita Gita Pinki Soni Rani Khushboo Puja"
).split()
MUSLIM_WOMEN = (
    "Rukhsana Shabnam Nazia Farzana Tabassum Shahnaz Nusrat Yasmin Rehana Sabiha Afsana "
    "Gulnaz Shabana Nargis Rubina Ishrat Naseema Zeenat Kahkashan Sadiya Husna Tarannum "
    "Firdaus Nikhat Salma Asma"
).split()
HINDU_MEN = (
    "Rajesh Sanjay Amit Vinod Ramesh Manoj Sunil Rakesh Ashok Alok Pankaj Vivek Nitin "
    "Prabhat Anil Dilip Arvind Subodh"
).split()
MUSLIM_MEN = (
    "Imran Salman Javed Tanveer Shahid Arshad Faisal Nadeem Anwar Iqbal Rizwan Shakeel "
    "Mushtaq Naushad Afroz Sarfaraz Zubair Kamran"
).split()
HINDU_WOMEN_SURNAMES = "Kumari Devi Singh Yadav Mandal Das Paswan Sinha Jha Sah Ghosh Roy".split()
MUSLIM_WOMEN_SURNAMES = (
    "Khatoon Begum Parveen Ansari Alam Siddiqui Rahman Nishat Bano Naaz Jahan Fatima Sultana Ara"
).split()
HINDU_SURNAMES = "Singh Yadav Mandal Das Sinha Jha Prasad Sah Ghosh Sarkar Roy Mishra Gupta".split()
MUSLIM_SURNAMES = "Ansari Alam Siddiqui Rahman Ahmad Hussain Khan Ashraf Haque Akhtar".split()


class Generator:
    """Builds the document; ``rng`` is the only source of variation."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.mobiles = iter(self.rng.sample(range(10000, 100000), 90000))
        self.landlines = iter(self.rng.sample(range(10000, 40000), 30000))
        self.used_names: set[str] = set()

    def mobile(self) -> str:
        return f"+91 99990 {next(self.mobiles):05d}"

    def landline(self) -> str:
        return f"06456-2{next(self.landlines):05d}"

    def person(self, *, woman: bool, muslim: bool, title: str = "") -> str:
        for _ in range(1000):
            if woman:
                first = self.rng.choice(MUSLIM_WOMEN if muslim else HINDU_WOMEN)
                last = self.rng.choice(MUSLIM_WOMEN_SURNAMES if muslim else HINDU_WOMEN_SURNAMES)
            else:
                first = self.rng.choice(MUSLIM_MEN if muslim else HINDU_MEN)
                last = self.rng.choice(MUSLIM_SURNAMES if muslim else HINDU_SURNAMES)
            name = f"{title}{first} {last}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("ran out of names")

    def languages(self, *, muslim: bool, staff: str) -> list[str]:
        """Surjapuri speakers are recorded as hi/ur/bn (it has no script of its own)."""
        langs = ["ur", "hi"] if muslim else ["hi"]
        if self.rng.random() < (0.45 if muslim else 0.35):
            langs.append("bn")
        if not muslim and self.rng.random() < 0.1:
            langs.append("ur")
        if staff != "anm":
            langs.append("en")
        return langs

    def villages(self, count: int) -> list[str]:
        names = sorted({h + t for h in VILLAGE_HEADS for t in VILLAGE_TAILS})
        return self.rng.sample(names, count)

    def doctors(self) -> dict[str, list[dict[str, Any]]]:
        """Doctors per hub, with OPD mon-sat plus evening, night and Sunday rotas."""
        by_hub: dict[str, list[dict[str, Any]]] = {}
        by_specialty: dict[str, list[dict[str, Any]]] = {}
        number = 0
        for code, _name, kind, specialties in HUBS:
            by_hub[code] = []
            for specialty, count in specialties.items():
                for _ in range(count):
                    number += 1
                    muslim = self.rng.random() < 0.45
                    woman = specialty == OBGYN or self.rng.random() < 0.35
                    senior = kind in ("district_hospital", "medical_college", "referral_hospital")
                    quals = QUALIFICATIONS[specialty]
                    qualification = (
                        quals[0] if senior or len(quals) == 1 else self.rng.choice(quals)
                    )
                    doctor = {
                        "code": f"DR-{number:03d}",
                        "name": self.person(woman=woman, muslim=muslim, title="Dr "),
                        "specialty": specialty,
                        "qualification": qualification,
                        "registration_number": f"FICT-BCMR-{self.rng.randrange(10000, 99999)}",
                        "mobile": self.mobile(),
                        "languages": self.languages(muslim=muslim, staff="doctor"),
                        "_slots": {d: [OPD] for d in range(6)},
                        "_big": kind in ("district_hospital", "medical_college"),
                        "_senior": senior,
                    }
                    by_hub[code].append(doctor)
                    by_specialty.setdefault(specialty, []).append(doctor)
        self.rotas(by_specialty)
        for doctors in by_hub.values():
            for doctor in doctors:
                doctor["roster"] = roster_entries(doctor.pop("_slots"))
                doctor.pop("_big")
                doctor.pop("_senior")
        return by_hub

    def rotas(self, by_specialty: dict[str, list[dict[str, Any]]]) -> None:
        """Evening and night cover (general medicine, obgyn) and Sunday OPD for everyone."""
        for specialty, doctors in by_specialty.items():
            pool = [d for d in doctors if d["_senior"]]
            self.rng.shuffle(pool)
            if specialty in (GM, OBGYN, PAEDS):
                self.evenings_and_nights(specialty, pool)
            # Sunday OPD: one doctor of every specialty from a big hub, not off a Saturday night.
            rested = [d for d in pool if d["_big"] and NIGHT not in d["_slots"].get(5, [])]
            (rested or pool)[0]["_slots"][6] = [OPD]

    @staticmethod
    def evenings_and_nights(specialty: str, pool: list[dict[str, Any]]) -> None:
        """Evening cover every day; nights too for general medicine and obgyn."""
        for day in range(7):
            pool[(day + 1) % len(pool)]["_slots"].setdefault(day, []).append(EVENING)
        if specialty == PAEDS:
            return
        for day in range(7):
            doctor = pool[(day + 8) % len(pool)]
            doctor["_slots"].setdefault(day, []).append(NIGHT)
            # After a night on duty, no OPD the next morning.
            after = (day + 1) % 7
            if OPD in doctor["_slots"].get(after, []):
                doctor["_slots"][after].remove(OPD)

    def anms(self, spoke_code: str, index: int) -> list[dict[str, Any]]:
        count = 2 if self.rng.random() < 0.4 else 1
        out = []
        for rank in range(1, count + 1):
            muslim = self.rng.random() < 0.7
            out.append(
                {
                    "code": f"ANM-{index:03d}-{rank}",
                    "name": self.person(woman=True, muslim=muslim),
                    "rank": rank,
                    "mobile": self.mobile(),
                    "languages": self.languages(muslim=muslim, staff="anm"),
                    "roster": [
                        {"days": "mon-sat", "hours": "08:00-14:00" if rank == 1 else "09:00-15:00"}
                    ],
                }
            )
        return out

    def staff(self, code: str, prefix: str, hours: str = "09:00-17:00") -> dict[str, Any]:
        muslim = self.rng.random() < 0.5
        return {
            "code": f"{prefix}-{code}",
            "name": self.person(woman=self.rng.random() < 0.4, muslim=muslim),
            "mobile": self.mobile(),
            "languages": self.languages(muslim=muslim, staff="admin"),
            "roster": [{"days": "mon-sat", "hours": hours}],
        }

    def build(self) -> dict[str, Any]:
        doctors = self.doctors()
        hubs = []
        for code, name, kind, specialties in HUBS:
            short = code.removeprefix("H-")
            hubs.append(
                {
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "specialties": list(specialties),
                    "doctors": doctors[code],
                    "pharmacists": [self.staff(short, "PH", "08:00-16:00")],
                    "admins": [self.staff(short, "HA")],
                }
            )
        villages = iter(self.villages(sum(BLOCKS.values())))
        spokes = []
        for block_no, (block, count) in enumerate(BLOCKS.items(), start=1):
            hubs_here = [hub for hub, n in HUB_OF_BLOCK[block] for _ in range(n)]
            assert len(hubs_here) == count, block
            for i in range(1, count + 1):
                index = len(spokes) + 1
                village = next(villages)
                numbers = [self.landline()]
                if self.rng.random() < 0.1:
                    numbers.append(self.landline())
                spokes.append(
                    {
                        "code": f"HWC-{index:03d}",
                        "short_code": f"{block_no}{i:02d}",
                        "name": f"HWC {village}",
                        "village": village,
                        "block": block,
                        "hub": hubs_here[i - 1],
                        "numbers": numbers,
                        "anms": self.anms(f"HWC-{index:03d}", index),
                    }
                )
        admins = [self.staff(f"{n:02d}", "DA", "10:00-17:00") for n in (1, 2)]
        return {
            "fictional": True,
            "district": {
                "code": "KSG",
                "name": "Kishanganj",
                "state": "Bihar",
                "std_code": "06456",
                "numbers": [
                    {"number": "1800 000 6456", "kind": "district"},
                    {"number": "+91 99990 00100", "kind": "missed_call"},
                ],
                "admins": admins,
            },
            "blocks": list(BLOCKS),
            "hubs": hubs,
            "spokes": spokes,
        }


def roster_entries(slots: dict[int, list[str]]) -> list[dict[str, str]]:
    """``{day: [hours]}`` as compact ``{days, hours}`` entries (``mon-sat`` where it fits)."""
    weekly = [(day, *parse_hours(hours)) for day, all_hours in slots.items() for hours in all_hours]
    return compact(sorted(weekly))


HEADER = """\
# Kishanganj district (Bihar): a FICTIONAL registry for Sampark demos and tests.
# The shape is real (7 blocks, 11 hubs, 230 HWC spokes); every person, village,
# registration number and phone number is invented and marked fictional, and the
# real Twilio gateway refuses to dial fictional numbers.
# Generated by scripts/generate_district.py (seed {seed}); do not edit by hand.
# Rosters are IST; an end before the start runs overnight.
# No ambulance_number: Twilio would really dial it, so a fictional one is never given; an
# emergency caller is told to dial 108. A real district gives its ambulance line there.
"""


def render(seed: int) -> str:
    """The whole file's text for ``seed``."""
    body = yaml.safe_dump(
        Generator(seed).build(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    text = HEADER.format(seed=seed) + body
    check(text)  # the registry's own validator: raises if anything is wrong
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", "-o", type=Path, default=OUTPUT, help="'-' for stdout")
    args = parser.parse_args(argv)
    text = render(args.seed)
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
