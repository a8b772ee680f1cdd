"""SMS the workflow sends: could-not-reach, the doctor's prescription link and reminder,
and the district admin's notice of a doctor set unavailable.

Each is a registered template (``sms_templates``, with its DLT ID), written in the caller's
transaction (``outbound.sms.queue_sms``) with an idempotency key, so a step that runs twice
queues one message; they are delivered by an RQ job after the commit, like any other SMS.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from core.phones import reach
from models import SmsMessage, Staff, StaffRole
from outbound.caller_id import dial_in_line
from outbound.sms import queue_sms
from workflows.context import Ctx
from workflows.people import staff_language

log = logging.getLogger(__name__)


def _queue(
    ctx: Ctx, *, to: str, purpose: str, language: str, context: dict[str, Any], key: str
) -> None:
    if not reach(to).can_text:  # a landline, sip:, client:, foreign or withheld caller ID
        log.info("no SMS: the number takes none", extra={"purpose": purpose, "key": key})
        return
    existing = ctx.session.scalars(
        select(SmsMessage.id).where(SmsMessage.idempotency_key == key)
    ).first()
    if existing is not None:
        return
    msg = queue_sms(
        ctx.session,
        to=to,
        purpose=purpose,
        language=language,
        context=context,
        consultation_id=ctx.c.id,
        idempotency_key=key,
    )
    ctx.session.flush()
    ctx.fx.sms.append(msg.id)


def could_not_reach(ctx: Ctx) -> None:
    """Tell the patient (and the ANM) that every call-back failed and what to do next."""
    c = ctx.c
    # The line the patient rings (never the configured outbound number), and its kind: a
    # missed-call line is "give a missed call", the toll-free district line "call (free)",
    # a spoke's landline "call" (it costs the patient).
    line = dial_in_line(ctx.session, c)
    context = {
        "callback_number": line[0] if line else "",
        "callback_kind": line[1].value if line else "",
    }
    _queue(
        ctx,
        to=c.caller_mobile,
        purpose="could_not_reach",
        language=c.language or "hi",
        context=context,
        key=f"c{c.id}:could_not_reach:patient",
    )
    anm = ctx.session.get(Staff, c.anm_id) if c.anm_id else None
    if anm is None:
        anm = _spoke_anm(ctx)
    if anm is not None:
        _queue(
            ctx,
            to=anm.mobile,
            purpose="could_not_reach",
            language=staff_language(anm),
            context=context,
            key=f"c{c.id}:could_not_reach:anm",
        )


def _spoke_anm(ctx: Ctx) -> Staff | None:
    return ctx.session.scalars(
        select(Staff)
        .where(Staff.role == StaffRole.ANM, Staff.spoke_id == ctx.c.spoke_id)
        .order_by(Staff.rank)
    ).first()


def _link(ctx: Ctx) -> str:
    return f"{ctx.runtime.settings.public_base_url}/portal/consultations/{ctx.c.id}"


def doctor_prescription_link(ctx: Ctx) -> None:
    """Send the doctor the link to write the prescription."""
    doctor = ctx.session.get(Staff, ctx.c.doctor_id) if ctx.c.doctor_id else None
    if doctor is None:
        return
    _queue(
        ctx,
        to=doctor.mobile,
        purpose="doctor_prescription_link",
        language=staff_language(doctor, "en"),
        context={"doctor_name": doctor.name, "reference": ctx.c.reference, "link": _link(ctx)},
        key=f"c{ctx.c.id}:doctor_prescription_link",
    )


def doctor_prescription_reminder(ctx: Ctx) -> None:
    """Remind the doctor once that the prescription is not written yet."""
    doctor = ctx.session.get(Staff, ctx.c.doctor_id) if ctx.c.doctor_id else None
    if doctor is None:
        return
    _queue(
        ctx,
        to=doctor.mobile,
        purpose="doctor_prescription_reminder",
        language=staff_language(doctor, "en"),
        context={"reference": ctx.c.reference, "link": _link(ctx)},
        key=f"c{ctx.c.id}:doctor_prescription_reminder",
    )


def doctor_unavailable(ctx: Ctx, doctor: Staff) -> None:
    """Tell the district's admins that a doctor missed too many offers and is set unavailable."""
    admins = ctx.session.scalars(
        select(Staff).where(
            Staff.role == StaffRole.DISTRICT_ADMIN, Staff.district_id == doctor.district_id
        )
    ).all()
    context = {
        "doctor_name": doctor.name,
        "doctor_code": doctor.code,
        "missed": doctor.missed_offers,
    }
    for admin in admins:
        _queue(
            ctx,
            to=admin.mobile,
            purpose="doctor_unavailable",
            language=staff_language(admin, "en"),
            context=context,
            key=f"staff{doctor.id}:unavailable:{ctx.c.id}:{admin.id}",
        )
