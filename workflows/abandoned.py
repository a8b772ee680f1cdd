"""Intakes left half-way are followed up: what the IVR promised the caller, the workflow does.

A caller who hangs up mid-intake (or whose call met a failure and heard "your details
are saved, we will call you back") leaves an ``abandoned`` consultation. After
``abandoned_grace_s`` (a caller who rings back at once resumes the intake instead), the
policy reads what was captured:

- consent refused: nothing (the caller said no; the consultation is cancelled);
- consent given and the main complaint known: the ANM is called with what is known and
  the patient is called back into the conference, as for any completed intake (inside
  the call window, retries ``patient_retry_delays_s``, then the closing SMS);
- almost nothing known: one call-back, inside the call window, that resumes the intake
  (the IVR's ``/ivr/incoming?resume=<id>``); unanswered or not resumed, the consultation
  is closed.

A caller who has called again since, or whose earlier request is still being handled,
is reached through that consultation: this one is closed, so nobody is called twice
for one need.
"""

from __future__ import annotations

import enum

from sqlalchemy import and_, or_, select, update

from core.phones import is_withheld, reach
from models import CallLeg, Consultation, ConsultationState, IvrSession, LegRole
from models.ivr import SessionStatus
from models.telephony import LegStatus
from workflows import anm, bridge, notify, twiml
from workflows.bridge import MACHINE_ANSWERS
from workflows.context import ACTIVE_STATES, Ctx
from workflows.store import details, is_final, set_details

S = ConsultationState
#: States in which a consultation is on its way to reaching the caller.
REACHING = ACTIVE_STATES - {S.AWAITING_PRESCRIPTION}


class FollowUp(enum.StrEnum):
    """What an abandoned intake gets."""

    NOTHING = "nothing"  # consent refused
    CONSULT = "consult"  # the ANM and a doctor, with what is known
    OFFER_RESTART = "offer_restart"  # one call-back that resumes the intake


def policy(consent: bool | None, complaint: str | None) -> FollowUp:
    """The follow-up an intake gets from what it captured."""
    if consent is False:
        return FollowUp.NOTHING
    if consent and complaint:
        return FollowUp.CONSULT
    return FollowUp.OFFER_RESTART


def follow_up(ctx: Ctx) -> None:
    """Drive an abandoned consultation on from what the database says (level-triggered)."""
    c = ctx.c
    if c.state is not S.ABANDONED:
        return
    if c.state_deadline_at is None:  # just abandoned: the caller may ring back and resume
        ctx.set_deadline(ctx.after(ctx.cfg.abandoned_grace_s))
        return
    if c.state_deadline_at > ctx.now:
        return
    other = None if is_withheld(c.caller_mobile) else _other_request(ctx)
    if other is not None:
        ctx.move(S.CLOSED, other)
        return
    action = policy(c.consent, c.complaint)
    set_details(c, follow_up=action.value)
    restart_leg = details(c).get("restart_leg")
    if action is FollowUp.NOTHING:
        ctx.move(S.CANCELLED, "abandoned-consent-refused")
    elif action is FollowUp.CONSULT:
        set_details(c, partial_intake=True)
        anm.start(ctx)
    elif restart_leg:  # the one restart call-back was made: its outcome decides
        leg = ctx.session.get(CallLeg, int(restart_leg))
        _close_after_restart(ctx, leg.status if leg is not None else LegStatus.LOST)
    elif not reach(c.caller_mobile).can_call:  # the IVR told them the ANM is told
        notify.could_not_reach(ctx)
        ctx.move(S.CLOSED, "abandoned-caller-not-callable")
    else:
        _offer_restart(ctx)


def _other_request(ctx: Ctx) -> str | None:
    """Why another consultation of the same caller covers this one, if one does."""
    c = ctx.c
    only_heard_prescription = and_(
        Consultation.state == S.CANCELLED, Consultation.consent.is_(None)
    )
    row = ctx.session.execute(
        select(Consultation.id, Consultation.state)
        .where(
            Consultation.caller_mobile == c.caller_mobile,
            Consultation.id != c.id,
            or_(
                and_(Consultation.id > c.id, ~only_heard_prescription),
                Consultation.state.in_(REACHING),
            ),
        )
        .order_by(Consultation.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return "superseded-by-a-later-call" if row.id > c.id else "caller-already-being-reached"


def _offer_restart(ctx: Ctx) -> None:
    c = ctx.c
    at = ctx.now if ctx.urgent else ctx.cfg.window.next_opening(ctx.now)
    if at > ctx.now:
        ctx.set_deadline(at)  # outside the call window: ring when it opens
        return
    leg = ctx.call(purpose=f"c{c.id}:restart", role=LegRole.PATIENT_CALLBACK, to=c.caller_mobile)
    set_details(c, restart_leg=leg.id)
    ctx.set_deadline(ctx.after(ctx.cfg.patient_ring_timeout_s + ctx.cfg.lost_leg_after_s))


def is_restart_leg(ctx: Ctx, leg: CallLeg) -> bool:
    """Whether ``leg`` is this consultation's call-back offering to restart the intake."""
    return bool(leg.id == details(ctx.c).get("restart_leg"))


def restart_answer(ctx: Ctx, leg: CallLeg, answered_by: str | None) -> str:
    """The patient answered the restart call-back: the IVR resumes their intake."""
    if answered_by:
        leg.answered_by = answered_by
    if answered_by in MACHINE_ANSWERS:  # a voicemail hears nothing it could mistake for care
        leg.outcome = leg.outcome or "machine"
        return twiml.hang_up()
    if ctx.c.state is not S.ABANDONED:  # the patient rang back and resumed meanwhile
        leg.outcome = leg.outcome or "not-needed"
        return twiml.hang_up()
    leg.outcome = "answered"
    return twiml.redirect(f"{ctx.base}/ivr/incoming?resume={ctx.c.id}")


def restart_ended(ctx: Ctx, leg: CallLeg) -> None:
    """The restart call-back ended: the follow-up is done, or the resumed intake ended.

    The call's status comes here, not to the IVR's ``/ivr/status``: an intake resumed on it
    and left half-way again is abandoned here (and followed up once more: with what it now
    holds, or closed); one completed on it lets a call-back held for it go.
    """
    c = ctx.c
    if c.state is S.ABANDONED:
        leg.outcome = leg.outcome or leg.status
        _close_after_restart(ctx, leg.status)
        return
    if leg.call_sid:
        ctx.session.execute(
            update(IvrSession)
            .where(IvrSession.call_sid == leg.call_sid, IvrSession.status == SessionStatus.ACTIVE)
            .values(status=SessionStatus.ENDED)
        )
    if c.state is S.INTAKE:
        ctx.move(S.ABANDONED, "caller-hung-up")
        ctx.set_deadline(ctx.after(ctx.cfg.abandoned_grace_s))
    else:
        bridge.intake_call_ended(ctx)


def _close_after_restart(ctx: Ctx, status: str | None) -> None:
    if status and not is_final(status) and status != LegStatus.LOST:
        ctx.set_deadline(ctx.after(ctx.cfg.lost_leg_after_s))  # still ringing or talking
        return
    ctx.move(S.CLOSED, f"restart-call-{status or 'lost'}")
