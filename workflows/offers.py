"""Doctor offers: a call in which the doctor hears the case and presses 1 to accept.

No answer, a refusal, no choice or the offer's deadline moves the offer on (the
doctor queue in ``workflows.dispatch`` picks the next doctor); a doctor who
misses ``max_missed_offers`` in a row is set unavailable and the admin is told.
"""

from __future__ import annotations

from models import CallLeg, ConsultationState, LegRole, Staff
from models.telephony import LegStatus
from workflows import bridge, notify, people, twiml, urls
from workflows.context import Ctx
from workflows.store import details, is_final, set_details

S = ConsultationState
MAX_MENU_REPEATS = 2


def make_offer(ctx: Ctx, doctor: Staff) -> None:
    """Offer the consultation to ``doctor`` (called by the doctor queue, row locked)."""
    c = ctx.c
    d = details(c)
    n = int(d.get("offers") or 0) + 1
    leg = ctx.call(
        purpose=f"c{c.id}:offer:{n}",
        role=LegRole.DOCTOR_OFFER,
        to=doctor.mobile,
        staff_id=doctor.id,
        attempt=n,
    )
    offered = [*list(d.get("offered") or []), doctor.id]
    set_details(c, offers=n, offer_leg=leg.id, offered=offered)
    ctx.move(
        S.FINDING_DOCTOR,
        f"offer:{doctor.code}",
        ctx.after(ctx.cfg.offer_timeout_s + ctx.cfg.offer_menu_grace_s),
    )


def _current(ctx: Ctx, leg: CallLeg) -> bool:
    return ctx.c.state is S.FINDING_DOCTOR and details(ctx.c).get("offer_leg") == leg.id


def _language(ctx: Ctx, leg: CallLeg) -> str:
    staff = ctx.session.get(Staff, leg.staff_id) if leg.staff_id else None
    return people.staff_language(staff, "en")


def _menu(ctx: Ctx, leg: CallLeg, tries: int, **kw: bool) -> str:
    return twiml.offer_menu(
        people.case_summary(ctx.c),
        _language(ctx, leg),
        "doctor",
        action_url=urls.leg_menu(ctx.base, leg.id),
        no_input_url=urls.leg_answer(ctx.base, leg.id, tries + 1),
        **kw,
    )


def answer(ctx: Ctx, leg: CallLeg, tries: int) -> str:
    """TwiML when the doctor answers the offer (or after no input)."""
    if leg.outcome:
        return replay(ctx, leg)
    if not _current(ctx, leg):
        return twiml.say_then_hangup(_language(ctx, leg), "taken")
    if tries >= MAX_MENU_REPEATS:
        missed(ctx, leg, "no-input")
        return twiml.say_then_hangup(_language(ctx, leg), "passed")
    return _menu(ctx, leg, tries)


def choose(ctx: Ctx, leg: CallLeg, digits: str) -> str:
    """The doctor pressed a key: 1 accept, 2 decline, 9 hear the patient."""
    if leg.outcome:
        return replay(ctx, leg)
    if not _current(ctx, leg):
        return twiml.say_then_hangup(_language(ctx, leg), "taken")
    if digits == "1":
        doctor = ctx.session.get_one(Staff, leg.staff_id)
        doctor.missed_offers = 0
        leg.outcome = "accepted"
        bridge.start(ctx, doctor)
        return replay(ctx, leg)
    if digits == "2":
        leg.outcome = "declined"
        next_offer(ctx, "doctor-declined")
        return replay(ctx, leg)
    if digits == "9":
        return _menu(ctx, leg, 0, play_recording=True)
    return _menu(ctx, leg, 0, wrong_key=True)


def replay(ctx: Ctx, leg: CallLeg) -> str:
    """TwiML for a choice already made (the same answer to a repeated webhook)."""
    lang = _language(ctx, leg)
    if (
        leg.outcome == "accepted"
        and ctx.c.doctor_id == leg.staff_id
        and ctx.c.state in (S.BRIDGING, S.IN_CONFERENCE)
    ):
        return bridge.join_twiml(ctx, "doctor", lang, greeting="joining")
    if leg.outcome in ("declined", "missed"):
        return twiml.say_then_hangup(lang, "passed")
    return twiml.say_then_hangup(lang, "taken")


def next_offer(ctx: Ctx, reason: str) -> None:
    """Back to the doctor queue for the next doctor."""
    set_details(ctx.c, offer_leg=None)
    ctx.move(S.FINDING_DOCTOR, reason, ctx.after(ctx.cfg.doctor_recheck_s))
    ctx.fx.dispatch = True


def missed(ctx: Ctx, leg: CallLeg, why: str) -> None:
    """The doctor did not take the offer in time; count it against her."""
    leg.outcome = "missed"
    doctor = ctx.session.get(Staff, leg.staff_id) if leg.staff_id else None
    if doctor is not None:
        doctor.missed_offers = (doctor.missed_offers or 0) + 1
        if doctor.missed_offers >= ctx.cfg.max_missed_offers and doctor.available:
            doctor.available = False
            notify.doctor_unavailable(ctx, doctor)
    if _current(ctx, leg):
        next_offer(ctx, f"offer-{why}")


def leg_ended(ctx: Ctx, leg: CallLeg) -> None:
    """The offer call ended without a choice: no answer, busy, failed, or hung up."""
    if leg.outcome is None:
        missed(ctx, leg, leg.status)


def deadline(ctx: Ctx) -> None:
    """The offer timed out (or no doctor was free): move on, or look again."""
    d = details(ctx.c)
    leg = ctx.session.get(CallLeg, d["offer_leg"]) if d.get("offer_leg") else None
    if leg is not None and leg.outcome is None:
        if leg.call_sid and not is_final(leg.status):
            ctx.fx.hangup.append(leg.call_sid)
        elif not leg.call_sid and not is_final(leg.status):
            leg.status = LegStatus.LOST
        missed(ctx, leg, "timeout")
        return
    # No offer out: every eligible doctor was asked or busy; a new round may ask again.
    # Many waiting consultations re-check each minute: they share one queue pass.
    set_details(ctx.c, offer_leg=None, offered=[])
    ctx.set_deadline(ctx.after(ctx.cfg.doctor_recheck_s))
    ctx.fx.recheck = True
