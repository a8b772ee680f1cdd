"""The district dashboard's figures for a period (IST dates) and optionally one block.

Each figure is one or two SQL queries that run the same on PostgreSQL and SQLite
(``portal.district_sql``); only the percentiles are taken in Python, from the waits SQL
returns. A consultation counts in the period of its creation (the patient's first call).

- volume: consultations per IST day and per week (Monday), by block, hub and HWC;
- outcomes: each consultation in exactly one (``district_sql.OUTCOME_RULES``);
- call to doctor: from the consultation's creation (the patient's first call into the
  IVR) to ``doctor_joined_at``, for the completed ones, p50 and p95 in seconds;
- doctor offers: ``doctor_offer`` legs by their outcome: accepted (pressed 1), declined
  (pressed 2), no answer (``missed``: rang out, busy, no key), withdrawn (``not-needed``:
  the case moved on first), open (not yet answered);
- SMS: messages of the period's consultations by delivery: delivered (delivered, read),
  undelivered, failed (failed, canceled), pending (every status before a final one).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Block, CallLeg, Consultation, Hub, LegRole, SmsMessage, Spoke, Staff
from portal.district_sql import OUTCOME, OUTCOMES, Period, ist_day, ist_week, percentile

NO_HWC = "-"  # a consultation whose HWC was never known (e.g. hung up before choosing one)
OFFER_OUTCOMES = ("accepted", "declined", "no_answer", "withdrawn", "open")
SMS_OUTCOMES = ("delivered", "undelivered", "failed", "pending")
_OFFER_KEY = {"accepted": "accepted", "declined": "declined", "missed": "no_answer"}
_SMS_KEY = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


@dataclass
class Volume:
    """Consultation counts: by (day, block), (week, hub) and per HWC over the period."""

    days: list[str]
    blocks: list[str]
    by_day_block: dict[tuple[str, str], int]
    weeks: list[str]
    hubs: list[str]
    by_week_hub: dict[tuple[str, str], int]
    by_hwc: list[tuple[str, str, str, int]]  # (block, hub, HWC, count), busiest first
    total: int


@dataclass
class DoctorOffers:
    """Doctor offers by outcome, for each doctor and all together."""

    by_doctor: list[tuple[str, Counter[str]]]
    total: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def rate(counts: Counter[str], key: str) -> float | None:
        """``key``'s share of the offers that were answered or rang out (not withdrawn
        or still open), or None when there were none."""
        decided = counts["accepted"] + counts["declined"] + counts["no_answer"]
        return counts[key] / decided if decided else None


@dataclass
class Figures:
    """Everything the dashboard shows for one period."""

    period: Period
    volume: Volume
    outcomes: Counter[str]
    wait_p50_s: float | None
    wait_p95_s: float | None
    waits: int  # how many completed consultations the waits are taken over
    offers: DoctorOffers
    sms: Counter[str]


def _base(period: Period, *columns: Any) -> Select[Any]:
    """SELECT ``columns`` FROM the period's consultations (spoke outer-joined)."""
    return (
        select(*columns)
        .select_from(Consultation)
        .outerjoin(Spoke, Spoke.id == Consultation.spoke_id)
        .where(period.created_in(Consultation.created_at), period.in_block())
    )


def volume(db: Session, period: Period) -> Volume:
    """Consultations per day and block, per week and hub, and per HWC."""
    day, week = ist_day(Consultation.created_at), ist_week(Consultation.created_at)
    block_name = func.coalesce(Block.name, NO_HWC)
    hub_name = func.coalesce(Hub.name, NO_HWC)
    hwc = func.coalesce(Spoke.code, NO_HWC)
    joined = (
        _base(period, day, week, block_name, hub_name, hwc, func.count())
        .outerjoin(Block, Block.id == Spoke.block_id)
        .outerjoin(Hub, Hub.id == Spoke.hub_id)
        .group_by(day, week, block_name, hub_name, hwc)
    )
    by_day_block: Counter[tuple[str, str]] = Counter()
    by_week_hub: Counter[tuple[str, str]] = Counter()
    by_hwc: Counter[tuple[str, str, str]] = Counter()
    for d, w, block, hub, code, n in db.execute(joined):
        by_day_block[(str(d), block)] += n
        by_week_hub[(str(w), hub)] += n
        by_hwc[(block, hub, code)] += n
    return Volume(
        days=[d.isoformat() for d in period.days()],
        blocks=sorted({b for _, b in by_day_block}),
        by_day_block=dict(by_day_block),
        weeks=sorted({w for w, _ in by_week_hub}),
        hubs=sorted({h for _, h in by_week_hub}),
        by_week_hub=dict(by_week_hub),
        by_hwc=sorted(((*k, n) for k, n in by_hwc.items()), key=lambda r: (-r[3], r[2])),
        total=sum(by_hwc.values()),
    )


def outcomes(db: Session, period: Period) -> Counter[str]:
    """How many consultations ended in each outcome (every outcome present, maybe 0)."""
    counts: Counter[str] = Counter(dict.fromkeys(OUTCOMES, 0))
    for outcome, n in db.execute(_base(period, OUTCOME, func.count()).group_by(OUTCOME)):
        counts[outcome] += n
    return counts


def waits_to_doctor(db: Session, period: Period) -> list[float]:
    """Seconds from each completed consultation's first call to its doctor joining, sorted."""
    rows = db.execute(
        _base(period, Consultation.created_at, Consultation.doctor_joined_at).where(
            OUTCOME == "completed"
        )
    )
    return sorted((joined - created).total_seconds() for created, joined in rows)


def doctor_offers(db: Session, period: Period) -> DoctorOffers:
    """The period's doctor offers by doctor and outcome."""
    query = (
        _base(period, Staff.code, CallLeg.outcome, func.count())
        .join(CallLeg, CallLeg.consultation_id == Consultation.id)
        .outerjoin(Staff, Staff.id == CallLeg.staff_id)
        .where(CallLeg.role == LegRole.DOCTOR_OFFER)
        .group_by(Staff.code, CallLeg.outcome)
    )
    per: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter(dict.fromkeys(OFFER_OUTCOMES, 0))
    for code, outcome, n in db.execute(query):
        key = _OFFER_KEY.get(outcome or "", "open" if outcome is None else "withdrawn")
        per.setdefault(code or NO_HWC, Counter(dict.fromkeys(OFFER_OUTCOMES, 0)))[key] += n
        total[key] += n
    return DoctorOffers(by_doctor=sorted(per.items()), total=total)


def sms_delivery(db: Session, period: Period) -> Counter[str]:
    """The period's consultations' SMS by delivery outcome."""
    query = (
        _base(period, SmsMessage.status, func.count())
        .join(SmsMessage, SmsMessage.consultation_id == Consultation.id)
        .group_by(SmsMessage.status)
    )
    counts: Counter[str] = Counter(dict.fromkeys(SMS_OUTCOMES, 0))
    for status, n in db.execute(query):
        counts[_SMS_KEY.get(status, "pending")] += n
    return counts


def figures(db: Session, period: Period) -> Figures:
    """Every figure of the dashboard for ``period``."""
    waits = waits_to_doctor(db, period)
    return Figures(
        period=period,
        volume=volume(db, period),
        outcomes=outcomes(db, period),
        wait_p50_s=percentile(waits, 0.5),
        wait_p95_s=percentile(waits, 0.95),
        waits=len(waits),
        offers=doctor_offers(db, period),
        sms=sms_delivery(db, period),
    )
