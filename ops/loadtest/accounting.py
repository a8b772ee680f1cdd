"""Every patient of a run accounted for, from the database (and the stand-in's record of
what it was asked to do).

Per consultation, exactly one of:

- ``final``: a state nothing more is owed in (closed, cancelled, consent refused,
  prescribed, unreachable: every try failed and the patient was told by SMS);
- ``waiting``: open with a deadline not yet passed (plus ``grace``): someone owns it;
- ``overdue``: open, its deadline passed more than ``grace`` ago: its owner did not act;
- ``lost``: open with no deadline at all: nobody will ever act on it.

An ``intake`` has no stored deadline: the product ends a silent one ``intake_silence_s``
after its call's last webhook (``IvrSession.updated_at``), which is its deadline here
(none where the product has no such rule).

A patient takes the worst of their consultations' categories; a patient with no
consultation at all is lost. ``stalled`` (a subset of waiting) are consultations in a call
state (bridging, in conference) although none of their calls is live any more.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import CallLeg, Consultation, ConsultationState, IvrSession, SmsMessage
from ops.loadtest.patients import Patient

S = ConsultationState
FINAL_STATES = frozenset({S.CLOSED, S.CANCELLED, S.CONSENT_REFUSED, S.PRESCRIBED, S.UNREACHABLE})
CALL_STATES = frozenset({S.BRIDGING, S.IN_CONFERENCE})
#: Worst first.
CATEGORIES = ("lost", "overdue", "waiting", "final")
TERMINAL_CALL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
LIVE_CALL = frozenset({"queued", "initiated", "ringing", "in-progress"})
LEG_URL = re.compile(r"/calls/legs/(\d+)/")


@dataclass(frozen=True)
class StandinRecord:
    """What the stand-in saw: calls (Twilio JSON), messages, timeline events."""

    calls: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    timeline: list[dict[str, Any]]


def _consultation_row(
    c: Consultation, now: datetime, grace: timedelta, implicit: datetime | None = None
) -> dict[str, Any]:
    deadline = c.state_deadline_at or implicit
    if c.state in FINAL_STATES:
        category = "final"
    elif deadline is None:
        category = "lost"
    elif deadline < now - grace:
        category = "overdue"
    else:
        category = "waiting"
    last = c.transitions[-1] if c.transitions else None
    return {
        "id": c.id,
        "reference": c.reference,
        "state": c.state.value,
        "category": category,
        "deadline": deadline.isoformat() if deadline else None,
        "late_s": round((now - deadline).total_seconds()) if deadline and deadline < now else 0,
        "last_reason": last.reason if last is not None else None,
        "reasons": [t.reason for t in c.transitions][-8:],
        "created_at": c.created_at.isoformat() if c.created_at else None,
    }


def call_intervals(timeline: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each call's to, direction and [start, end] in stand-in seconds (end None: live)."""
    out: dict[str, dict[str, Any]] = {}
    for e in timeline:
        if e.get("kind") != "call":
            continue
        sid = e["sid"]
        if e.get("event") == "created":
            out[sid] = {
                "to": e.get("to"),
                "direction": e.get("direction"),
                "start": e["at"],
                "end": None,
            }
        elif sid in out and out[sid]["end"] is None and e.get("status") in TERMINAL_CALL:
            out[sid]["end"] = e["at"]
    return out


def overlapping_calls(
    intervals: dict[str, dict[str, Any]], numbers: set[str]
) -> dict[str, list[list[str]]]:
    """Per number of ``numbers``: pairs of our (outbound) calls ringing or live at once."""
    by_number: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for sid, iv in intervals.items():
        if iv["to"] in numbers and str(iv["direction"]).startswith("outbound"):
            end = iv["end"] if iv["end"] is not None else float("inf")
            by_number[iv["to"]].append((iv["start"], end, sid))
    out: dict[str, list[list[str]]] = {}
    for number, calls in by_number.items():
        calls.sort()
        pairs = [
            [a[2], b[2]]
            for i, a in enumerate(calls)
            for b in calls[i + 1 :]
            if b[0] < a[1]  # b starts before a ends
        ]
        if pairs:
            out[number] = pairs
    return out


def account(
    engine: Engine,
    patients: list[Patient],
    standin: StandinRecord,
    *,
    grace_s: float,
    intake_silence_s: float | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The run's accounting (see the module docstring); JSON-ready."""
    now = now or datetime.now(UTC)
    grace = timedelta(seconds=grace_s)
    with Session(engine) as s:
        consultations = list(s.scalars(select(Consultation).order_by(Consultation.id)))
        implicit: dict[int, datetime] = {}
        if intake_silence_s is not None:
            last_webhook = s.execute(
                select(IvrSession.consultation_id, func.max(IvrSession.updated_at)).group_by(
                    IvrSession.consultation_id
                )
            ).all()
            silence = timedelta(seconds=intake_silence_s)
            implicit = {cid: at + silence for cid, at in last_webhook if cid and at}
        rows = {
            c.id: _consultation_row(
                c, now, grace, implicit.get(c.id) if c.state is S.INTAKE else None
            )
            for c in consultations
        }
        by_mobile: dict[str, list[int]] = defaultdict(list)
        for c in consultations:
            by_mobile[c.caller_mobile].append(c.id)
        legs = list(s.scalars(select(CallLeg)))
        sms = list(s.scalars(select(SmsMessage)))
        leg_count: dict[int, int] = defaultdict(int)
        for leg in legs:
            if leg.consultation_id is not None:
                leg_count[leg.consultation_id] += 1
        sms_count: dict[int, int] = defaultdict(int)
        for m in sms:
            if m.consultation_id is not None:
                sms_count[m.consultation_id] += 1

    intervals = call_intervals(standin.timeline)
    live_sids = {sid for sid, iv in intervals.items() if iv["end"] is None}
    leg_calls: dict[int, set[str]] = defaultdict(set)
    for e in standin.timeline:
        subject = str(e.get("subject") or "")
        found = LEG_URL.search(str(e.get("url", ""))) if e.get("kind") == "webhook" else None
        if found and subject.startswith("CA"):
            leg_calls[int(found.group(1))].add(subject)
    legs_by_id = {leg.id: leg for leg in legs}
    consultation_live: dict[int, bool] = defaultdict(bool)
    for leg in legs:
        if leg.consultation_id is not None and leg.call_sid in live_sids:
            consultation_live[leg.consultation_id] = True

    per_patient: list[dict[str, Any]] = []
    by_category: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    by_state: dict[str, int] = defaultdict(int)
    by_scenario: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stalled: list[dict[str, Any]] = []
    for p in patients:
        ids = by_mobile.get(p.mobile, [])
        mine = [rows[i] for i in ids]
        for r in mine:
            r["legs"], r["sms"] = leg_count[r["id"]], sms_count[r["id"]]
            by_state[r["state"]] += 1
            if r["state"] in {s.value for s in CALL_STATES} and not consultation_live[r["id"]]:
                stalled.append({**p.as_dict(), **r})
        category = min((r["category"] for r in mine), key=CATEGORIES.index) if mine else "lost"
        by_category[category] += 1
        by_scenario[p.scenario][category] += 1
        entry = {**p.as_dict(), "category": category, "consultations": mine}
        if not mine:
            entry["why"] = "no consultation for this caller"
        per_patient.append(entry)

    duplicate_leg_calls = {
        str(leg_id): sorted(sids) for leg_id, sids in leg_calls.items() if len(sids) > 1
    }
    known_sids = {leg.call_sid for leg in legs if leg.call_sid}
    outbound = [c for c in standin.calls if str(c.get("direction", "")).startswith("outbound-api")]
    calls_without_leg = [c["sid"] for c in outbound if c["sid"] not in known_sids]
    sms_keys: dict[tuple[Any, ...], int] = defaultdict(int)
    for m in sms:
        sms_keys[(m.consultation_id, m.purpose, m.to_number)] += 1
    duplicate_sms_db = [
        {"consultation_id": k[0], "purpose": k[1], "to": k[2], "count": n}
        for k, n in sms_keys.items()
        if n > 1
    ]
    delivered: dict[tuple[str, str], int] = defaultdict(int)
    for msg in standin.messages:
        if str(msg.get("direction", "")).startswith("outbound"):
            delivered[(str(msg.get("to")), str(msg.get("body")))] += 1
    duplicate_sms_sent = [
        {"to": to, "body": body[:60], "count": n} for (to, body), n in delivered.items() if n > 1
    ]
    mobiles = {p.mobile for p in patients}
    rung_twice = overlapping_calls(intervals, mobiles)

    def pick(category: str) -> list[dict[str, Any]]:
        return [e for e in per_patient if e["category"] == category]

    return {
        "patients": len(patients),
        "consultations": len(consultations),
        "by_category": by_category,
        "by_state": dict(sorted(by_state.items())),
        "by_scenario": {k: dict(v) for k, v in sorted(by_scenario.items())},
        "lost": by_category["lost"],
        "overdue": by_category["overdue"],
        "stalled_in_call": len(stalled),
        "duplicate_legs": len(duplicate_leg_calls),
        "duplicate_sms": len(duplicate_sms_db) + len(duplicate_sms_sent),
        "rung_twice_at_once": len(rung_twice),
        "calls_placed": len(outbound),
        "calls_without_leg": len(calls_without_leg),
        "legs": len(legs),
        "sms": len(sms),
        "live_calls_at_end": len(live_sids),
        "details": {
            "lost": pick("lost"),
            "overdue": pick("overdue"),
            "stalled_in_call": stalled,
            "duplicate_leg_calls": duplicate_leg_calls,
            "duplicate_leg_roles": {
                k: legs_by_id[int(k)].role.value
                for k in duplicate_leg_calls
                if int(k) in legs_by_id
            },
            "duplicate_sms_db": duplicate_sms_db,
            "duplicate_sms_sent": duplicate_sms_sent,
            "rung_twice_at_once": rung_twice,
            "calls_without_leg": calls_without_leg[:50],
        },
    }
