"""What ``sampark consultations --json`` adds to the intake: the rest of a consultation.

Its state history, the ANM and the doctor, every call leg, every SMS and every
prescription (with its items), read in one query per kind for a page of consultations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import CallLeg, Consultation, Prescription, SmsMessage, Staff


def iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def staff(person: Staff | None) -> dict[str, Any] | None:
    """Who a staff member is, as the district registry names her."""
    if person is None:
        return None
    return {
        "id": person.id,
        "code": person.code,
        "name": person.name,
        "mobile": person.mobile,
        "role": person.role.value,
        "specialty": person.specialty,
    }


def history(c: Consultation) -> list[dict[str, Any]]:
    """Every state change, oldest first: from, to, why and when."""
    return [
        {"from": t.from_state.value, "to": t.to_state.value, "reason": t.reason, "at": iso(t.at)}
        for t in sorted(c.transitions, key=lambda t: t.id)
    ]


def _leg(leg: CallLeg, names: dict[int, str]) -> dict[str, Any]:
    return {
        "role": leg.role.value,
        "direction": leg.direction,
        "from": leg.from_number,
        "to": leg.to_number,
        "staff": names.get(leg.staff_id) if leg.staff_id else None,
        "attempt": leg.attempt,
        "status": str(leg.status),
        "outcome": leg.outcome,
        "answered_by": leg.answered_by,
        "error_code": leg.error_code,
        "call_sid": leg.call_sid,
        "created_at": iso(leg.created_at),
        "answered_at": iso(leg.answered_at),
        "ended_at": iso(leg.ended_at),
        "duration_seconds": leg.duration_seconds,
    }


def _sms(sms: SmsMessage) -> dict[str, Any]:
    return {
        "purpose": sms.purpose,
        "to": sms.to_number,
        "from": sms.from_number,
        "template": sms.template,
        "dlt_template_id": sms.dlt_template_id,
        "language": sms.language,
        "script": sms.script,
        "encoding": sms.encoding,
        "segments": sms.segments,
        "body": sms.body,
        "status": str(sms.status),
        "error_code": sms.error_code,
        "attempt": sms.attempt,
        "prescription_id": sms.prescription_id,
        "created_at": iso(sms.created_at),
        "sent_at": iso(sms.sent_at),
        "delivered_at": iso(sms.delivered_at),
    }


def _prescription(rx: Prescription) -> dict[str, Any]:
    return {
        "id": rx.id,
        "code": rx.code,
        "version": rx.version,
        "current": rx.superseded_at is None,
        "doctor": rx.doctor_name,
        "doctor_registration": rx.doctor_registration,
        "hub": rx.hub_name,
        "diagnosis": rx.diagnosis,
        "advice": rx.advice,
        "tests": list(rx.tests or []),
        "follow_up_on": iso(rx.follow_up_on),
        "referral_to": rx.referral_to,
        "referral_urgency": rx.referral_urgency,
        "correction_reason": rx.correction_reason,
        "issued_at": iso(rx.issued_at),
        "superseded_at": iso(rx.superseded_at),
        "items": [
            {
                "medicine": item.name,
                "strength": item.strength,
                "form": item.form,
                "dose": item.dose,
                "frequency": item.frequency,
                "duration_days": item.duration_days,
                "instructions": item.instructions,
            }
            for item in sorted(rx.items, key=lambda i: i.id)
        ],
    }


def details(session: Session, consultations: Iterable[Consultation]) -> dict[int, dict[str, Any]]:
    """For each consultation id: ANM, doctor, state history, calls, SMS, prescriptions."""
    page = list(consultations)
    ids = [c.id for c in page]
    calls: dict[int, list[CallLeg]] = defaultdict(list)
    messages: dict[int, list[SmsMessage]] = defaultdict(list)
    prescriptions: dict[int, list[Prescription]] = defaultdict(list)
    if ids:
        for leg in session.scalars(
            select(CallLeg).where(CallLeg.consultation_id.in_(ids)).order_by(CallLeg.id)
        ):
            calls[leg.consultation_id or 0].append(leg)
        for sms in session.scalars(
            select(SmsMessage).where(SmsMessage.consultation_id.in_(ids)).order_by(SmsMessage.id)
        ):
            messages[sms.consultation_id or 0].append(sms)
        for rx in session.scalars(
            select(Prescription)
            .options(selectinload(Prescription.items))
            .where(Prescription.consultation_id.in_(ids))
            .order_by(Prescription.id)
        ):
            prescriptions[rx.consultation_id].append(rx)
    staff_ids = {leg.staff_id for legs in calls.values() for leg in legs if leg.staff_id}
    named = select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))
    names = dict(session.execute(named).tuples().all()) if staff_ids else {}
    return {
        c.id: {
            "specialty": c.specialty,
            "anm": staff(c.anm),
            "doctor": staff(c.doctor),
            "conference": c.conference_name,
            "doctor_joined_at": iso(c.doctor_joined_at),
            "closed_at": iso(c.closed_at),
            "state_history": history(c),
            "calls": [_leg(leg, names) for leg in calls[c.id]],
            "sms": [_sms(sms) for sms in messages[c.id]],
            "prescriptions": [_prescription(rx) for rx in prescriptions[c.id]],
        }
        for c in page
    }
