"""Routing of events to the steps that handle them, on a locked consultation.

Events:
    ``intake_complete`` / ``emergency`` / ``start``: the IVR handed the case over.
    ``abandoned``: the caller hung up mid-intake (``workflows.abandoned`` follows it up).
    ``deadline``: a timer fired or the sweeper found the row past its deadline.
    ``leg_status``: a call status callback (or a gateway failure) for one leg.
    ``answer`` / ``menu``: TwiML for a placed call that was answered / a key pressed.
    ``conference``: a conference status callback.
    ``patient_join``: the IVR hands over a patient staying on the line.
    ``intake_call_ended``: the patient's intake call ended (a held call-back may go).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from models import CallLeg, ConsultationState, LegRole, Staff
from models.telephony import LegStatus
from workflows import abandoned, anm, bridge, notify, offers, twiml
from workflows.config import WorkflowConfig
from workflows.context import START_EVENTS, WAITING_STATES, Ctx
from workflows.store import STATUS_RANK, details, is_final, present, set_details
from workflows.waiting import find_doctor

log = logging.getLogger(__name__)
S = ConsultationState


def handle(ctx: Ctx, step: str, data: dict[str, Any]) -> None:
    """Run one step; webhook steps leave their TwiML in ``ctx.result``."""
    c = ctx.c
    if step in START_EVENTS:
        if c.state in (S.INTAKE_COMPLETE, S.EMERGENCY):
            anm.start(ctx)
    elif step == "abandoned":
        abandoned.follow_up(ctx)
    elif step == "deadline":
        on_deadline(ctx)
    elif step == "conference":
        if data.get("conference_sid"):
            c.conference_sid = str(data["conference_sid"])
        bridge.conference_event(
            ctx, str(data.get("event")), data.get("call_sid"), data.get("label")
        )
    elif step == "patient_join":
        ctx.result = patient_join(ctx)
    elif step == "intake_call_ended":
        bridge.intake_call_ended(ctx)
    elif step in ("leg_status", "answer", "menu"):
        leg = ctx.session.get(CallLeg, int(data["leg_id"]))
        if leg is None or leg.consultation_id != c.id:
            ctx.result = twiml.say_then_hangup(c.language or "hi", "taken")
            return
        if data.get("call_sid") and not leg.call_sid:
            leg.call_sid = str(data["call_sid"])  # adopt: the REST answer may have been lost
        if step == "leg_status":
            leg_status(ctx, leg, data)
        elif step == "answer":
            ctx.result = answer(ctx, leg, data)
        else:
            ctx.result = menu(ctx, leg, str(data.get("digits") or ""))
    else:
        log.warning("unknown workflow step", extra={"step": step, "consultation_id": c.id})


def answer(ctx: Ctx, leg: CallLeg, data: dict[str, Any]) -> str:
    tries = int(data.get("tries") or 0)
    if leg.role is LegRole.DOCTOR_OFFER:
        return offers.answer(ctx, leg, tries)
    if leg.role is LegRole.PATIENT_CALLBACK and abandoned.is_restart_leg(ctx, leg):
        return abandoned.restart_answer(ctx, leg, data.get("answered_by"))
    if leg.role is LegRole.PATIENT_CALLBACK:
        return bridge.patient_answer(ctx, leg, data.get("answered_by"))
    if leg.role is LegRole.ANM and leg.id == details(ctx.c).get("anm_join_leg"):
        return bridge.join_twiml(ctx, "anm", ctx.c.language or "hi", greeting="joining")
    return anm.answer(ctx, leg, tries)


def menu(ctx: Ctx, leg: CallLeg, digits: str) -> str:
    if leg.role is LegRole.DOCTOR_OFFER:
        return offers.choose(ctx, leg, digits[:1])
    return anm.choose(ctx, leg, digits[:1])


def leg_status(ctx: Ctx, leg: CallLeg, data: dict[str, Any]) -> None:
    """Apply a call status; a stale or repeated one changes nothing."""
    status = str(data.get("status") or "")
    if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(leg.status, 0):
        return
    leg.status = status
    if data.get("answered_by"):
        leg.answered_by = str(data["answered_by"])
    if data.get("error_code"):
        leg.error_code = int(data["error_code"])
        leg.error_message = str(data.get("error_message") or "")[:500]
    if status in (LegStatus.IN_PROGRESS, LegStatus.ANSWERED) and leg.answered_at is None:
        leg.answered_at = ctx.now
    if not is_final(status):
        return
    leg.ended_at = ctx.now
    if data.get("duration") is not None:
        leg.duration_seconds = int(data["duration"])
    if leg.call_sid:
        bridge.gone(ctx, leg.call_sid)
    d = details(ctx.c)
    if leg.role is LegRole.ANM and leg.id == d.get("anm_leg"):
        anm.leg_ended(ctx, leg)
    elif leg.role is LegRole.DOCTOR_OFFER and leg.id == d.get("offer_leg"):
        offers.leg_ended(ctx, leg)
    elif leg.role is LegRole.PATIENT_CALLBACK and abandoned.is_restart_leg(ctx, leg):
        abandoned.restart_ended(ctx, leg)
    elif leg.role is LegRole.PATIENT_CALLBACK and leg.id == d.get("patient_leg"):
        if leg.outcome is None:
            machine = (leg.answered_by or "") in bridge.MACHINE_ANSWERS
            bridge.patient_failed(ctx, leg, "machine" if machine else status)
    elif leg.role is LegRole.DOCTOR_OFFER and leg.outcome is None:
        leg.outcome = "missed"  # a stale offer that rang out after the case moved on


def patient_join(ctx: Ctx) -> str:
    """TwiML for a patient the IVR hands over while still on the line."""
    c = ctx.c
    lang = c.language or "hi"
    if c.state in (S.INTAKE_COMPLETE, S.EMERGENCY, *WAITING_STATES, S.BRIDGING, S.IN_CONFERENCE):
        return bridge.join_twiml(ctx, "patient", lang)
    return twiml.say_then_hangup(lang, "callback_later")


def on_deadline(ctx: Ctx) -> None:
    """Drive the consultation on from what the database says, if its deadline has passed."""
    c = ctx.c
    wait_ends = ctx.patient_wait_ends()
    if wait_ends is not None and wait_ends <= ctx.now and c.state in WAITING_STATES:
        bridge.release_patient(ctx, "callback_later")
        sid = present(c).get("anm")
        if sid:
            ctx.fx.redirect.append(
                (sid, twiml.say_then_hangup(c.language or "hi", "anm_wait_doctor"))
            )
        due = details(c).get("due")
        ctx.set_deadline(datetime.fromisoformat(due) if due else ctx.now)
    if c.state in (S.INTAKE_COMPLETE, S.EMERGENCY):
        anm.start(ctx)  # the hand-off was lost
        return
    if c.state is S.ABANDONED:
        abandoned.follow_up(ctx)
        return
    if c.state_deadline_at is None and c.state in _CLOSES_AFTER:
        ctx.set_deadline(ctx.after(_CLOSES_AFTER[c.state](ctx.cfg)))  # entered with none
        return
    if c.state_deadline_at is not None and c.state_deadline_at > ctx.now:
        return  # not due (an open state with no deadline at all is overdue)
    if c.state is S.CALLING_ANM:
        anm.deadline(ctx)
    elif c.state is S.FINDING_DOCTOR:
        offers.deadline(ctx)
    elif c.state in (S.BRIDGING, S.IN_CONFERENCE):
        bridge.deadline(ctx)
    elif c.state is S.CALLBACK_SCHEDULED:
        _callback_due(ctx)
    elif c.state is S.AWAITING_PRESCRIPTION:
        _prescription_due(ctx)
    elif c.state is S.PRESCRIBED:
        ctx.move(S.CLOSED, "prescribed-period-over")
    elif c.state is S.UNREACHABLE:
        ctx.move(S.CLOSED, "unreachable-period-over")


#: States that close after a period, if a deadline was not set on entering them.
_CLOSES_AFTER: dict[S, Callable[[WorkflowConfig], int]] = {
    S.PRESCRIBED: lambda cfg: cfg.prescribed_close_s,
    S.UNREACHABLE: lambda cfg: cfg.unreachable_close_s,
}


def _prescription_due(ctx: Ctx) -> None:
    """Remind the doctor once; if the prescription is still not written later, close."""
    c = ctx.c
    if details(c).get("rx_reminded"):
        ctx.move(S.CLOSED, "no-prescription-written")
        return
    notify.doctor_prescription_reminder(ctx)
    set_details(c, rx_reminded=True)
    ctx.set_deadline(ctx.after(ctx.cfg.prescription_close_s))


def _callback_due(ctx: Ctx) -> None:
    c = ctx.c
    if details(c).get("anm_later") and c.anm_id:
        set_details(c, anm_later=False)
        anm.call_next(ctx, "anm-reminder", again=ctx.session.get_one(Staff, c.anm_id))
        return
    find_doctor(ctx, "callback-due")
