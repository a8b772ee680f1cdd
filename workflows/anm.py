"""The ANM: called first, hears the case, takes it now (1), later (2), or passes it (3).

An ANM who does not answer, does not choose, or cannot be reached in time is
skipped exactly like one who passes: the next ANM of the spoke, then of the block.
When nobody takes the case, it goes on to a doctor without an ANM.
"""

from __future__ import annotations

from models import CallLeg, ConsultationState, LegRole, Staff
from models.telephony import LegStatus
from workflows import bridge, people, start_plan, twiml, urls
from workflows.context import Ctx
from workflows.store import details, is_final, present, set_details
from workflows.waiting import find_doctor

S = ConsultationState
MAX_MENU_REPEATS = 2


def start(ctx: Ctx) -> None:
    """An intake is complete (or an emergency): set the routing, call the first ANM.

    The decision is ``start_plan.plan``'s, which the worker's fast path also follows.
    """
    c = ctx.c
    facts = start_plan.Facts(
        state=c.state,
        specialty=c.specialty,
        priority=c.priority,
        emergency=bool(c.emergency),
        complaint=c.complaint,
        age_years=c.patient.age_years if c.patient else None,
        intake_completed_at=c.intake_completed_at,
        details=details(c),
    )
    plan = start_plan.plan(facts, people.anm_order(ctx.session, c, ctx.now), ctx.cfg, ctx.now)
    c.specialty, c.priority = plan.specialty, plan.priority
    c.intake_completed_at = plan.intake_completed_at
    _ring(ctx, plan.call, plan.reason)


def call_next(ctx: Ctx, reason: str, *, again: Staff | None = None) -> None:
    """Call the next ANM in order (or ``again`` the one who asked to be reminded)."""
    c = ctx.c
    if again is None:
        call = start_plan.next_anm(details(c), people.anm_order(ctx.session, c, ctx.now))
    else:
        call = start_plan.next_anm(details(c), (), again=(again.id, again.mobile))
    _ring(ctx, call, reason)


def _ring(ctx: Ctx, call: start_plan.AnmCall | None, reason: str) -> None:
    """Ring ``call``'s ANM (the leg, the bookkeeping, the move); nobody left: the doctors."""
    c = ctx.c
    if call is None:
        find_doctor(ctx, "no-anm-took-it" if c.anm_id is None else reason)
        return
    leg = ctx.call(
        purpose=call.purpose(c.id),
        role=LegRole.ANM,
        to=call.mobile,
        staff_id=call.staff_id,
        attempt=call.attempt,
    )
    set_details(c, **call.bookkeeping(leg.id))
    ctx.move(S.CALLING_ANM, reason, start_plan.ring_deadline(ctx.now, ctx.cfg))


def _current(ctx: Ctx, leg: CallLeg) -> bool:
    return ctx.c.state is S.CALLING_ANM and details(ctx.c).get("anm_leg") == leg.id


def _language(ctx: Ctx, leg: CallLeg) -> str:
    staff = ctx.session.get(Staff, leg.staff_id) if leg.staff_id else None
    return people.staff_language(staff)


def answer(ctx: Ctx, leg: CallLeg, tries: int) -> str:
    """TwiML when the ANM answers (or hears the menu again after no input)."""
    lang = _language(ctx, leg)
    if leg.outcome:
        return replay(ctx, leg)
    if not _current(ctx, leg):
        return twiml.say_then_hangup(lang, "taken")
    if tries >= MAX_MENU_REPEATS:
        leg.outcome = "no-input"
        call_next(ctx, "anm-no-input")
        return twiml.say_then_hangup(lang, "passed")
    return _menu(ctx, leg, tries)


def _menu(ctx: Ctx, leg: CallLeg, tries: int, **kw: bool) -> str:
    return twiml.offer_menu(
        people.case_summary(ctx.c),
        _language(ctx, leg),
        "anm",
        action_url=urls.leg_menu(ctx.base, leg.id),
        no_input_url=urls.leg_answer(ctx.base, leg.id, tries + 1),
        **kw,
    )


def choose(ctx: Ctx, leg: CallLeg, digits: str) -> str:
    """The ANM pressed a key: 1 take now, 2 later, 3 pass, 9 hear the patient."""
    lang = _language(ctx, leg)
    if leg.outcome:
        return replay(ctx, leg)
    if not _current(ctx, leg):
        return twiml.say_then_hangup(lang, "taken")
    c = ctx.c
    if digits == "1":
        leg.outcome = "accepted"
        c.anm_id = leg.staff_id
        set_details(c, anm_later=False)
        find_doctor(ctx, "anm-accepted")
        return replay(ctx, leg)
    if digits == "2":
        leg.outcome = "later"
        c.anm_id = leg.staff_id
        set_details(c, anm_later=True)
        bridge.release_patient(ctx, "callback_later")
        ctx.move(S.CALLBACK_SCHEDULED, "anm-later", ctx.after(ctx.cfg.anm_later_delay_s))
        return replay(ctx, leg)
    if digits == "3":
        leg.outcome = "passed"
        call_next(ctx, "anm-passed")
        return replay(ctx, leg)
    if digits == "9":
        return _menu(ctx, leg, 0, play_recording=True)
    return _menu(ctx, leg, 0, wrong_key=True)


def replay(ctx: Ctx, leg: CallLeg) -> str:
    """The TwiML for a choice already made (a repeated webhook gets the same answer)."""
    lang = _language(ctx, leg)
    if leg.outcome == "accepted":
        if "patient" in present(ctx.c) and ctx.c.state in (
            S.FINDING_DOCTOR,
            S.BRIDGING,
            S.IN_CONFERENCE,
        ):
            return bridge.join_twiml(ctx, "anm", lang, greeting="joining")
        return twiml.say_then_hangup(lang, "anm_wait_doctor")
    if leg.outcome == "later":
        return twiml.say_then_hangup(lang, "anm_later")
    if leg.outcome in ("passed", "no-input"):
        return twiml.say_then_hangup(lang, "passed")
    return twiml.say_then_hangup(lang, "taken")


def leg_ended(ctx: Ctx, leg: CallLeg) -> None:
    """The ANM's call ended: if she never chose, she is skipped."""
    if _current(ctx, leg) and leg.outcome is None:
        leg.outcome = "missed"
        call_next(ctx, f"anm-{leg.status}")


def deadline(ctx: Ctx) -> None:
    """Nobody took the case in time: skip the ringing ANM and call the next."""
    d = details(ctx.c)
    leg = ctx.session.get(CallLeg, d["anm_leg"]) if d.get("anm_leg") else None
    if leg is not None and leg.outcome is None:
        leg.outcome = "missed"
        if leg.call_sid and not is_final(leg.status):
            ctx.fx.hangup.append(leg.call_sid)
        elif not leg.call_sid and not is_final(leg.status):
            leg.status = LegStatus.LOST
    call_next(ctx, "anm-timeout")
