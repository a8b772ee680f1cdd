"""The district dashboard's figures counted again in Python from the ORM rows, without the
portal's SQL (``portal.district_sql``/``district_figures``), keyed as the page's
``data-figure`` attributes and formatted as it prints them; and what the page shows."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.timeutil import as_utc, to_ist
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    LegRole,
    SmsMessage,
    Spoke,
    Staff,
    StaffRole,
)
from ops.simulate_summary import COMPLETED
from portal.security import hash_password

S = ConsultationState
FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')
NONE = "-"  # no HWC, no doctor; a percentile or rate of nothing
OUTCOMES = ("completed", "emergency", "unreachable", "callback", "abandoned", "in_progress")
OFFER_KEYS = ("accepted", "declined", "no_answer", "withdrawn", "open")
SMS_KEYS = ("delivered", "undelivered", "failed", "pending")


def expected_outcome(c: Consultation) -> str:
    """The outcome rules as the dashboard documents them, written out again."""
    if c.doctor_joined_at is not None and c.state in COMPLETED:
        return "completed"
    if c.emergency:
        return "emergency"
    if c.state is S.UNREACHABLE:
        return "unreachable"
    if c.state is S.CALLBACK_SCHEDULED:
        return "callback"
    if c.state in COMPLETED or c.state in {S.ABANDONED, S.CONSENT_REFUSED, S.CANCELLED}:
        return "abandoned"
    return "in_progress"


def ist_day(c: Consultation) -> date:
    return to_ist(as_utc(c.created_at)).date()


def consultations_between(s: Session, first: date, last: date) -> list[Consultation]:
    """The consultations whose first call was on an IST day from ``first`` to ``last``."""
    every = s.scalars(
        select(Consultation).options(
            selectinload(Consultation.spoke).selectinload(Spoke.block),
            selectinload(Consultation.spoke).selectinload(Spoke.hub),
        )
    )
    return [c for c in every if first <= ist_day(c) <= last]


def _offer_key(outcome: str | None) -> str:
    if outcome is None:
        return "open"
    return {"accepted": "accepted", "declined": "declined", "missed": "no_answer"}.get(
        outcome, "withdrawn"
    )


def _sms_key(status: str) -> str:
    return {
        "delivered": "delivered",
        "read": "delivered",
        "undelivered": "undelivered",
        "failed": "failed",
        "canceled": "failed",
    }.get(status, "pending")


def _minutes(seconds: float | None) -> str:
    return NONE if seconds is None else f"{seconds / 60:.1f}"


def expected_figures(s: Session, first: date, last: date) -> dict[str, str]:
    """Every ``data-figure`` of the dashboard for IST days ``first``..``last``, all blocks."""
    rows = consultations_between(s, first, last)
    out: dict[str, str] = {}
    by_day: Counter[tuple[str, str]] = Counter()
    by_week: Counter[tuple[str, str]] = Counter()
    by_hwc: Counter[str] = Counter()
    for c in rows:
        day = ist_day(c)
        monday = day - timedelta(days=day.weekday())
        block = c.spoke.block.name if c.spoke else NONE
        hub = c.spoke.hub.name if c.spoke else NONE
        by_day[(day.isoformat(), block)] += 1
        by_week[(monday.isoformat(), hub)] += 1
        by_hwc[c.spoke.code if c.spoke else NONE] += 1
    blocks = {b for _, b in by_day}
    for i in range((last - first).days + 1):
        day_text = (first + timedelta(days=i)).isoformat()
        for block in blocks:
            out[f"day:{day_text}:{block}"] = str(by_day[(day_text, block)])
    weeks, hubs = {w for w, _ in by_week}, {h for _, h in by_week}
    out.update({f"week:{w}:{h}": str(by_week[(w, h)]) for w in weeks for h in hubs})
    out.update({f"hwc:{code}": str(n) for code, n in by_hwc.items()})

    outcomes = Counter(expected_outcome(c) for c in rows)
    out.update({f"outcome:{o}": str(outcomes[o]) for o in OUTCOMES})
    waits = sorted(
        (as_utc(c.doctor_joined_at) - as_utc(c.created_at)).total_seconds()
        for c in rows
        if expected_outcome(c) == "completed" and c.doctor_joined_at is not None
    )
    out["wait:n"] = str(len(waits))
    out["wait:p50"] = _minutes(statistics.median(waits) if waits else None)
    out["wait:p95"] = _minutes(waits[int(0.95 * (len(waits) - 1))] if waits else None)

    ids = {c.id for c in rows}
    codes = {staff_id: code for staff_id, code in s.execute(select(Staff.id, Staff.code))}
    per_doctor: dict[str, Counter[str]] = {}
    for leg in s.scalars(select(CallLeg).where(CallLeg.role == LegRole.DOCTOR_OFFER)):
        if leg.consultation_id in ids:
            code = codes.get(leg.staff_id, NONE) if leg.staff_id else NONE
            per_doctor.setdefault(code, Counter())[_offer_key(leg.outcome)] += 1
    total: Counter[str] = sum(per_doctor.values(), Counter())
    for code, counts in [*per_doctor.items(), ("*", total)]:
        out.update({f"offers:{code}:{k}": str(counts[k]) for k in OFFER_KEYS})
        decided = counts["accepted"] + counts["declined"] + counts["no_answer"]
        for k in ("accepted", "no_answer"):
            rate = counts[k] / decided if decided else None
            out[f"offers:{code}:{k}%"] = NONE if rate is None else f"{rate * 100:.0f}"

    sms = Counter(
        _sms_key(m.status)
        for m in s.scalars(select(SmsMessage).where(SmsMessage.consultation_id.is_not(None)))
        if m.consultation_id in ids
    )
    out.update({f"sms:{k}": str(sms[k]) for k in SMS_KEYS})
    return out


def admin_who_can_log_in(s: Session, password: str) -> str:
    """The district admin's code, with ``password`` (created when the district has none)."""
    admin = s.scalars(select(Staff).where(Staff.role == StaffRole.DISTRICT_ADMIN)).first()
    if admin is None:
        admin = Staff(
            code="ADM-SIM",
            name="Admin",
            role=StaffRole.DISTRICT_ADMIN,
            mobile="+919990000009",
            languages=["en"],
            district_id=s.scalars(select(Staff.district_id)).first(),
        )
        s.add(admin)
    admin.password_hash = hash_password(password)
    admin.password_must_change = False
    return admin.code


def shown_figures(client: FlaskClient, first: date, last: date) -> dict[str, str]:
    """The dashboard's ``data-figure`` values for ``first``..``last`` (logged-in client)."""
    page = client.get("/portal/district", query_string={"from": str(first), "to": str(last)})
    assert page.status_code == 200, page.status_code
    return dict(FIGURE.findall(page.text))
