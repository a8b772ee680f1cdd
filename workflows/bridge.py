"""The bridge: one conference per consultation, the patient's call-backs, the end of the call.

Who is in the conference is kept in ``details["present"]`` (label -> CallSid) from
the conference's participant events and the legs' final statuses; a CallSid that
has left is never let back in by a late ``participant-join``. The conference is
recorded only with the consent given at intake. It ends when the doctor and the
ANM have both left; a patient left alone hears a closing message.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select

from core.phones import reach
from core.timeutil import utcnow
from models import CallLeg, ConsultationState, IvrSession, LegRole, Prescription, Staff
from models.ivr import SessionStatus
from workflows import notify, people, twiml, urls
from workflows.context import Ctx
from workflows.store import details, leg_for_sid, present, set_details
from workflows.waiting import find_doctor

S = ConsultationState
MACHINE_ANSWERS = (
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
)


def conference_name(ctx: Ctx) -> str:
    """The consultation's conference (friendly name from its reference)."""
    if not ctx.c.conference_name:
        ctx.c.conference_name = f"sampark-{ctx.c.reference}"
    return ctx.c.conference_name


def join_spec(ctx: Ctx, label: str) -> twiml.ConferenceJoin:
    """How ``label`` (patient, anm or doctor) enters this consultation's conference."""
    return twiml.ConferenceJoin(
        name=conference_name(ctx),
        label=label,
        status_callback=urls.conference_events(ctx.base, ctx.c.id),
        wait_url=urls.wait_music(ctx.base, ctx.c.language or "hi"),
        record=bool(ctx.c.consent),
        start_on_enter=label != "patient",
    )


def join_twiml(ctx: Ctx, label: str, language: str, greeting: str | None = None) -> str:
    """TwiML that puts the current call into the conference as ``label``."""
    return twiml.join_conference(join_spec(ctx, label), language, greeting)


def start(ctx: Ctx, doctor: Staff) -> None:
    """The doctor accepted: assemble the conference around her."""
    c = ctx.c
    c.doctor_id = doctor.id
    bridges = int(details(c).get("bridges") or 0) + 1
    set_details(c, offer_leg=None, bridges=bridges)
    ctx.move(
        S.BRIDGING,
        "doctor-accepted",
        ctx.after(ctx.cfg.patient_ring_timeout_s + ctx.cfg.bridge_grace_s),
    )
    here = present(c)
    if "patient" not in here:
        call_patient_when_free(ctx)
    anm = ctx.session.get(Staff, c.anm_id) if c.anm_id else None
    if anm is not None and "anm" not in here:
        leg = ctx.call(
            purpose=f"c{c.id}:anm-join:{bridges}",
            role=LegRole.ANM,
            to=anm.mobile,
            staff_id=anm.id,
        )
        set_details(c, anm_join_leg=leg.id)


#: How long after its last answer an intake call still counts as in progress when its end
#: was never reported (a lost status callback must not hold the call-back forever).
INTAKE_CALL_STALE = timedelta(minutes=2)


def on_intake_call(ctx: Ctx) -> bool:
    """Whether the patient is still on the intake call: hearing the offer to stay on the
    line, or the goodbye. A call-back now would find the line busy."""
    since = utcnow() - INTAKE_CALL_STALE  # the IVR stamps its sessions in real time
    live = select(IvrSession.id).where(
        IvrSession.consultation_id == ctx.c.id,
        IvrSession.status == SessionStatus.ACTIVE,
        IvrSession.updated_at >= since,
    )
    return ctx.session.scalar(live.limit(1)) is not None


def call_patient_when_free(ctx: Ctx) -> None:
    """Call the patient back, unless the intake call is still going: then the IVR's
    ``intake_call_ended`` event (or the bridge's deadline) places the call-back."""
    if on_intake_call(ctx):
        set_details(ctx.c, patient_on_intake=True)
        return
    call_patient(ctx)


def intake_call_ended(ctx: Ctx) -> None:
    """The patient's intake call ended: the call-back that was held for it goes out."""
    c = ctx.c
    if not details(c).get("patient_on_intake"):
        return
    set_details(c, patient_on_intake=False)
    if c.state is S.BRIDGING and "patient" not in present(c) and not details(c).get("patient_leg"):
        call_patient(ctx)


def call_patient(ctx: Ctx) -> None:
    """Call the patient back into the conference (with answering-machine detection).

    A caller ID we cannot ring (``sip:``, ``client:``, foreign, withheld) is never
    dialled: the doctor and the ANM are released and the ANM is told by SMS.
    """
    c = ctx.c
    if not reach(c.caller_mobile).can_call:
        release_staff(ctx, "patient_missing")
        c.doctor_id = None
        ctx.fx.dispatch = True  # the doctor is free again
        notify.could_not_reach(ctx)
        ctx.move(S.UNREACHABLE, "patient-cannot-be-called", ctx.after(ctx.cfg.unreachable_close_s))
        return
    d = details(c)
    n = int(d.get("patient_calls") or 0) + 1
    leg = ctx.call(
        purpose=f"c{c.id}:patient:{n}",
        role=LegRole.PATIENT_CALLBACK,
        to=c.caller_mobile,
        attempt=int(d.get("patient_tries") or 0) + 1,
    )
    set_details(c, patient_leg=leg.id, patient_calls=n)


def patient_answer(ctx: Ctx, leg: CallLeg, answered_by: str | None) -> str:
    """TwiML when a called-back patient's phone answers."""
    lang = ctx.c.language or "hi"
    if answered_by:
        leg.answered_by = answered_by
    if answered_by in MACHINE_ANSWERS:
        if leg.outcome is None:
            patient_failed(ctx, leg, "machine")
        return twiml.say_then_hangup(lang, "callback_later")
    current = details(ctx.c).get("patient_leg") == leg.id
    if leg.outcome not in (None, "answered") or not current:
        return twiml.say_then_hangup(lang, "callback_later")
    if ctx.c.state not in (S.BRIDGING, S.IN_CONFERENCE):
        return twiml.say_then_hangup(lang, "callback_later")
    leg.outcome = "answered"
    return join_twiml(ctx, "patient", lang, greeting="patient_callback_hello")


def patient_failed(ctx: Ctx, leg: CallLeg, why: str) -> None:
    """A call-back to the patient failed: retry later, or give up and tell them by SMS."""
    c = ctx.c
    leg.outcome = why
    if c.state is not S.BRIDGING or details(c).get("patient_leg") != leg.id:
        return
    tries = int(details(c).get("patient_tries") or 0) + 1
    set_details(c, patient_tries=tries, patient_leg=None)
    release_staff(ctx, "patient_missing")
    c.doctor_id = None
    ctx.fx.dispatch = True  # the doctor is free again
    delays = ctx.cfg.patient_retry_delays_s
    if tries > len(delays):
        notify.could_not_reach(ctx)
        ctx.move(S.UNREACHABLE, f"patient-{why}-last-try", ctx.after(ctx.cfg.unreachable_close_s))
        return
    at = ctx.after(delays[tries - 1])
    if not ctx.urgent:
        at = ctx.cfg.window.next_opening(at)
    ctx.move(S.CALLBACK_SCHEDULED, f"patient-{why}", at)


def release_staff(ctx: Ctx, key: str) -> None:
    """Tell the doctor and the ANM on the line ``key`` and end their calls."""
    here = present(ctx.c)
    for label in ("doctor", "anm"):
        sid = here.get(label)
        if sid:
            staff_id = ctx.c.doctor_id if label == "doctor" else ctx.c.anm_id
            staff = ctx.session.get(Staff, staff_id) if staff_id else None
            ctx.fx.redirect.append((sid, twiml.say_then_hangup(people.staff_language(staff), key)))


def release_patient(ctx: Ctx, key: str) -> None:
    """Tell a patient waiting on the line ``key`` and end the call."""
    sid = present(ctx.c).get("patient")
    if sid:
        ctx.fx.redirect.append((sid, twiml.say_then_hangup(ctx.c.language or "hi", key)))
        set_details(ctx.c, patient_since=None)


def _label_of(ctx: Ctx, call_sid: str) -> str | None:
    leg = leg_for_sid(ctx.session, call_sid)
    if leg is None:
        return "patient"  # the patient's own inbound intake call
    return {
        LegRole.ANM: "anm",
        LegRole.DOCTOR_OFFER: "doctor",
        LegRole.DOCTOR: "doctor",
        LegRole.PATIENT_CALLBACK: "patient",
        LegRole.PATIENT_INTAKE: "patient",
    }.get(leg.role)


def conference_event(ctx: Ctx, event: str, call_sid: str | None, label: str | None) -> None:
    """A conference status callback: participants joining and leaving, the end."""
    c = ctx.c
    if event == "conference-end":
        for sid in list(present(c).values()):
            gone(ctx, sid)
        return
    if not call_sid:
        return
    if event == "participant-leave":
        gone(ctx, call_sid)
        return
    if event != "participant-join" or call_sid in (details(c).get("left") or []):
        return
    label = label or _label_of(ctx, call_sid)
    if label not in ("patient", "anm", "doctor"):
        return
    here = present(c)
    if here.get(label) == call_sid:
        return
    here[label] = call_sid
    set_details(c, present=here)
    if label == "patient" and not details(c).get("patient_since"):
        set_details(c, patient_since=ctx.now.isoformat())
        if c.state in (S.CALLING_ANM, S.FINDING_DOCTOR, S.CALLBACK_SCHEDULED):
            ctx.set_deadline(c.state_deadline_at)  # the wait limit now caps it
    if label == "doctor" and c.doctor_joined_at is None:
        c.doctor_joined_at = ctx.now
    if c.state is S.BRIDGING and "doctor" in here and "patient" in here:
        ctx.move(S.IN_CONFERENCE, "all-joined", ctx.after(ctx.cfg.conference_max_s))


def gone(ctx: Ctx, call_sid: str) -> None:
    """``call_sid`` left the conference (or its call ended)."""
    c = ctx.c
    here = present(c)
    labels = [k for k, v in here.items() if v == call_sid]
    left = list(details(c).get("left") or [])
    if call_sid not in left:
        set_details(c, left=[*left[-20:], call_sid])
    if not labels:
        return
    label = labels[0]
    del here[label]
    set_details(c, present=here)
    if label == "patient":
        set_details(c, patient_since=None)
    if c.state is S.IN_CONFERENCE and "doctor" not in here and "anm" not in here:
        finish(ctx, "doctor-and-anm-left")
    elif c.state is S.BRIDGING and label == "doctor":
        c.doctor_id = None
        release_patient(ctx, "callback_later")
        find_doctor(ctx, "doctor-left-before-patient")
    elif c.state is S.BRIDGING and label == "patient":
        call_patient(ctx)  # hung up while the doctor was coming: call back now


def finish(ctx: Ctx, reason: str) -> None:
    """The conversation is over: close the patient's line, ask for the prescription.

    A prescription the doctor issued during the call (its SMS went when she issued it)
    leaves nothing to ask: the consultation goes straight on to ``prescribed``.
    """
    c = ctx.c
    release_patient(ctx, "closing")
    doctor = ctx.session.get(Staff, c.doctor_id) if c.doctor_id else None
    if doctor is not None:
        doctor.idle_since = ctx.now
    if ctx.session.scalar(_ISSUED, {"id": c.id}) is not None:
        ctx.move(S.PRESCRIBED, reason, ctx.after(ctx.cfg.prescribed_close_s))
    else:
        ctx.move(S.AWAITING_PRESCRIPTION, reason, ctx.after(ctx.cfg.prescription_reminder_s))
        notify.doctor_prescription_link(ctx)
    ctx.fx.dispatch = True


#: A prescription of the consultation exists (issued during the call).
_ISSUED = select(Prescription.id).where(Prescription.consultation_id == bindparam("id")).limit(1)


def deadline(ctx: Ctx) -> None:
    """The bridge is taking too long, or the conference's end was never reported."""
    c = ctx.c
    here = present(c)
    if c.state is S.IN_CONFERENCE:
        finish(ctx, "conference-deadline")
        return
    d = details(c)
    leg = ctx.session.get(CallLeg, d["patient_leg"]) if d.get("patient_leg") else None
    if "doctor" not in here:
        if leg is not None and leg.call_sid and leg.outcome is None:
            ctx.fx.hangup.append(leg.call_sid)
            leg.outcome = "not-needed"
        c.doctor_id = None
        release_patient(ctx, "callback_later")
        find_doctor(ctx, "doctor-never-joined")
    elif "patient" not in here:
        if leg is not None and leg.call_sid and leg.outcome is None:
            ctx.fx.hangup.append(leg.call_sid)
        if leg is not None and leg.outcome in (None, "answered"):
            leg.outcome = None
            patient_failed(ctx, leg, "timeout")
        else:
            call_patient_when_free(ctx)
            ctx.set_deadline(ctx.after(ctx.cfg.patient_ring_timeout_s + ctx.cfg.bridge_grace_s))
    else:
        ctx.move(S.IN_CONFERENCE, "all-joined", ctx.after(ctx.cfg.conference_max_s))
