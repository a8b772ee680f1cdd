"""What each IVR webhook does, independent of Flask (the recovery sweeper replays these).

Each handler takes the runtime and the webhook's parameters, does its work in one
database transaction, returns TwiML, and only after the commit runs its
"after" actions (hand-off to the workflow, SMS delivery, call-back scheduling),
none of which may fail the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from core.phones import is_withheld, reach
from core.runtime import Runtime
from core.timeutil import utcnow
from ivr import missed_calls, stay, store, twiml
from ivr.after_commit import After
from ivr.alerts import deliver_later, queue_emergency_alert
from ivr.callback import schedule_callback
from ivr.catalog import catalog, normalise_language
from ivr.config import IvrConfig
from ivr.engine import CallState, Engine, Input
from ivr.fallback import append_record
from ivr.fastpath import try_fast_step
from ivr.flow import HANG_UP_OUTCOMES, NO_CALLBACK, NODE_REASONS, NODES, ORDER, START, VERIFIER
from ivr.returning import caller_standing, remember_sms_script
from ivr.twiml import Line, Urls
from models import CallLeg, Consultation, ConsultationState, IvrSession
from models.ivr import SessionStatus

log = logging.getLogger(__name__)
S = ConsultationState
#: Why a consultation reached an outcome (default: the caller refused).
REASONS = {"intake_complete": "ivr-complete", "cancelled": "prescription-heard"}
ENDED_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
CHANNELS = {"spoke": "spoke", "district": "district", "missed_call": "missed"}

_ENGINES: dict[int, tuple[object, Engine]] = {}


def engine_for(runtime: Runtime) -> Engine:
    settings = runtime.settings
    cached = _ENGINES.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    config = IvrConfig.from_settings(settings)
    engine = Engine(config, Urls(settings.public_base_url, config.audio_base_url))
    _ENGINES[id(settings)] = (settings, engine)
    return engine


@dataclass(frozen=True)
class CallInfo:
    """Who is calling which of our numbers (an outbound call-back reverses From/To; one
    from the configured outbound number names its line in the URL, ``line``)."""

    call_sid: str
    caller: str
    dialled: str
    direction: str

    @classmethod
    def from_form(cls, form: Mapping[str, str], line: str | None = None) -> CallInfo:
        direction = form.get("Direction", "inbound")
        outbound = direction.startswith("outbound")
        return cls(
            call_sid=form.get("CallSid", ""),
            caller=form.get("To" if outbound else "From", ""),
            dialled=(outbound and line) or form.get("From" if outbound else "To", ""),
            direction=direction,
        )


# -- POST /ivr/incoming -------------------------------------------------------------------
def incoming(runtime: Runtime, form: Mapping[str, str], args: Mapping[str, str]) -> VoiceResponse:
    """A call arrives (or a call-back is answered): find the spoke, start or resume."""
    info = CallInfo.from_form(form, args.get("line"))
    engine = engine_for(runtime)
    config = engine.config
    after = After(inline=args.get("replay") == "1")
    with runtime.db.session() as s:
        known = store.load_call(s, info.call_sid)
        if known is not None:  # a repeated request: ask the current question again
            if known.status != SessionStatus.ACTIVE:
                return twiml.say_and_hang_up([])
            return engine.render(known.state, [])
        if info.dialled == runtime.settings.outbound_caller_id:
            # A patient ringing back the number our calls came from reaches the district line.
            info = replace(info, dialled=store.district_line(s) or info.dialled)
        dialled = store.dialled_number(s, info.dialled)
        if dialled is None:
            log.warning(
                "call to a number that is not ours",
                extra={"event": "ivr-unknown-number", "dialled": info.dialled},
            )
            return twiml.unknown_number()
        inbound = not info.direction.startswith("outbound")
        counted = inbound and not is_withheld(info.caller)  # a withheld ID is nobody's key
        recent = store.recent_calls(s, info.caller, config.rate_limit_minutes) if counted else 0
        if recent >= config.rate_limit_calls:
            store.record_call(
                s, **_row(info), node="rate_limited", status=SessionStatus.RATE_LIMITED
            )
            log.warning("caller rate-limited", extra={"event": "ivr-rate-limited"})
            if dialled.kind == "missed_call":  # rejected as usual, but no call-back
                return twiml.reject_busy()
            language = store.caller_memory(s, info.caller)[0]
            return twiml.rate_limited(normalise_language(language))
        if inbound and dialled.kind == "missed_call":
            store.record_call(s, **_row(info), node="missed_call", status=SessionStatus.REJECTED)
            purpose = missed_calls.purpose(info.call_sid)
            after.actions.append(lambda: _schedule(runtime, info.caller, info.dialled, purpose))
            response = twiml.reject_busy()
        else:
            resume = args.get("resume", "")
            resume_id = int(resume) if resume.isdigit() and len(resume) < 10 else None
            response = _start_or_resume(s, engine, info, dialled, resume_id)
    after.run()
    return response


def _row(info: CallInfo) -> dict[str, str]:
    return {
        "call_sid": info.call_sid,
        "caller": info.caller,
        "dialled": info.dialled,
        "direction": info.direction,
    }


def _schedule(runtime: Runtime, caller: str, line: str, purpose: str) -> None:
    try:
        schedule_callback(runtime, caller=caller, line=line, purpose=purpose)
    except Exception as exc:  # Redis down: keep it for the recovery sweeper
        log.error("could not schedule the call-back", extra={"error": repr(exc)})
        append_record(
            runtime.settings,
            "callback",
            {"caller": caller, "line": line, "purpose": purpose},
            {},
            error=repr(exc),
        )


def _start_or_resume(
    s: Session,
    engine: Engine,
    info: CallInfo,
    dialled: store.Dialled,
    resume_id: int | None = None,
) -> VoiceResponse:
    """Resume the caller's abandoned intake (rung back, or our call-back ``resume_id``
    offering to restart it), else start a new one."""
    config = engine.config
    withheld = is_withheld(info.caller)  # callers with no ID share no memory and no intake
    previous = None
    if not withheld or resume_id is not None:
        previous = store.resumable_call(s, info.caller, config.resume_minutes, resume_id)
    resume_node = None
    if previous is not None:
        resume_node = previous.vars.get("resume_node") or previous.node
        if resume_node not in ORDER or resume_node == "end":
            resume_node = None
    if previous is not None and resume_node is not None:
        consultation = s.get(Consultation, previous.consultation_id)
        assert consultation is not None
        consultation.transition(S.INTAKE, "caller-rang-back")
        variables = {**previous.vars, "resume_node": None}
        state = CallState(node=resume_node, language=previous.language, vars=variables)
        engine.enter(state, resume_node, [])
        s.add(
            IvrSession(
                call_sid=info.call_sid,
                consultation_id=previous.consultation_id,
                caller=info.caller,
                dialled=info.dialled,
                direction=info.direction,
                channel=previous.channel,
                spoke_id=previous.spoke_id,
                node=state.node,
                language=state.language,
                vars=state.vars,
            )
        )
        log.info("caller rang back: intake resumed", extra={"node": state.node})
        return engine.render(state, [Line(catalog(state.language), "welcome_back")])
    language, guess_id, guess_code = (
        (None, None, None) if withheld else store.caller_memory(s, info.caller)
    )
    # The one look-up of the first menus: a prescription to offer? an ANM or pharmacist?
    standing = None if withheld else caller_standing(s, info.caller)
    staff_language = standing.verifier_language if standing else None
    if staff_language:  # offered a code check in her language; a patient's is asked later
        language = None
    spoke_id = dialled.spoke_id if dialled.kind == "spoke" else None
    variables = {
        "spoke_id": spoke_id,
        "spoke_guess": None if spoke_id else guess_id,
        "spoke_guess_code": None if spoke_id else guess_code,
        "ambulance_number": dialled.ambulance_number,  # the district's line, "" if none
        "language_chosen": language,
        "danger_signs": [],
        "has_rx": True if standing and standing.has_rx else None,
        VERIFIER: True if staff_language else None,
        NO_CALLBACK: None if reach(info.caller).can_call else True,
    }
    state = CallState(
        node=START, language=staff_language or normalise_language(language), vars=variables
    )
    engine.enter(state, START, [])
    store.create_intake(
        s,
        call_sid=info.call_sid,
        caller=info.caller,
        dialled=info.dialled,
        direction=info.direction,
        channel=CHANNELS[dialled.kind],
        spoke_id=spoke_id,
        state=state,
    )
    return engine.render(state, [Line(catalog(state.language), "welcome")])


# -- POST /ivr/step -----------------------------------------------------------------------
def step(runtime: Runtime, form: Mapping[str, str], args: Mapping[str, str]) -> VoiceResponse | str:
    """The caller answered (or did not) the question named in the URL."""
    engine = engine_for(runtime)
    fast = try_fast_step(runtime, engine, form, args)
    if fast is not None:
        return fast
    after = After(inline=args.get("replay") == "1")
    given = Input(
        digits=form.get("Digits"),
        recording_url=form.get("RecordingUrl"),
        recording_sid=form.get("RecordingSid"),
    )
    with runtime.db.session() as s:
        call = store.load_call(s, form.get("CallSid", ""))
        if call is None:
            unknown = True
        else:
            unknown = False
            replay = args.get("replay") == "1"
            response = _answer(runtime, s, engine, call, args.get("n", ""), given, after, replay)
    if unknown:  # e.g. the call began while the database was down: start it now
        return incoming(runtime, form, args)
    after.run()
    return response


def _answer(
    runtime: Runtime,
    s: Session,
    engine: Engine,
    call: store.LoadedCall,
    asked: str,
    given: Input,
    after: After,
    replay: bool = False,
) -> VoiceResponse | str:
    state = call.state
    if call.status != SessionStatus.ACTIVE and not replay:  # replays still store late answers
        return twiml.say_and_hang_up([])
    if asked != state.step_id:  # a late or repeated request: ask the current question
        log.info("stale IVR step", extra={"asked": asked, "current": state.step_id})
        return _respond(engine, call, [])
    answered = engine.answer(state, given, lookups := stay.Lookups(s, runtime.settings))
    if answered.effects.link_patient and call.consultation_id is not None:
        store.link_patient(s, call, answered.effects.link_patient)
    if answered.effects.sms_script:
        remember_sms_script(s, call, answered.effects.sms_script)
    reached = engine.enter(state, answered.goto, answered.before, answered.repeat, lookups)
    entered = NODES.get(state.node)
    outcome = answered.effects.outcome or reached or (entered.outcome if entered else None)
    status: str = SessionStatus.ENDED if reached else SessionStatus.ACTIVE
    if call.status != SessionStatus.ACTIVE:  # a late answer replayed after the call ended
        status = call.status
    store.write_step(s, call, answered.effects, status)
    if outcome:
        reason = (
            answered.effects.reason
            or NODE_REASONS.get(state.node)
            or REASONS.get(outcome, "caller-refused")
        )
        if store.finish(s, call.consultation_id, outcome, reason):
            after.hand_off(runtime, call.consultation_id, outcome)
        if outcome == "emergency" and call.consultation_id is not None:
            number = "108"  # what the caller was told to dial (the alert repeats it)
            sms_id = queue_emergency_alert(s, call.consultation_id, number)
            if sms_id is not None:
                after.actions.append(deliver_later(runtime, sms_id))
    return _respond(engine, call, answered.before)


def _respond(engine: Engine, call: store.LoadedCall, before: list[Line]) -> VoiceResponse | str:
    """The TwiML of where the call now stands (``rx_read``: a redirect to the read-aloud
    of ``prescriptions.voice``, which comes back to the IVR when the listener is done)."""
    return engine.render_text(call.state, before, call.consultation_id)


# -- POST /ivr/recording (recordingStatusCallback) ----------------------------------------
def recording(runtime: Runtime, form: Mapping[str, str], args: Mapping[str, str]) -> VoiceResponse:
    """A recording is ready: keep its URL and SID on the consultation (or the patient)."""
    url, sid = form.get("RecordingUrl"), form.get("RecordingSid")
    if form.get("RecordingStatus", "completed") != "completed" or not url:
        return twiml.empty()
    with runtime.db.session() as s:
        call = store.load_call(s, form.get("CallSid", ""))
        if call is None or call.consultation_id is None:
            log.warning("recording for an unknown call", extra={"recording_sid": sid})
            return twiml.empty()
        consultation = s.get(Consultation, call.consultation_id)
        assert consultation is not None
        if args.get("n") == "name":
            patient = consultation.patient
            if patient is not None:
                patient.name_recording_url = url
        else:
            consultation.recording_url = url
            consultation.recording_sid = sid
    return twiml.empty()


# -- POST /ivr/status (call status callback) ----------------------------------------------
def status(runtime: Runtime, form: Mapping[str, str], args: Mapping[str, str]) -> VoiceResponse:
    """The call ended: an intake left half-way is kept as abandoned and the ANM told."""
    call_status = form.get("CallStatus", "")
    call_sid = form.get("CallSid", "")
    after = After(inline=args.get("replay") == "1")
    with runtime.db.session() as s:
        leg = s.scalars(select(CallLeg).where(CallLeg.call_sid == call_sid)).first()
        if leg is not None:
            leg.status = call_status or leg.status
            if call_status in ENDED_STATUSES:
                leg.ended_at = utcnow()
                duration = form.get("CallDuration")
                leg.duration_seconds = int(duration) if duration and duration.isdigit() else None
        if call_status not in ENDED_STATUSES:
            return twiml.empty()
        call = store.load_call(s, call_sid)
        if call is None or call.status != SessionStatus.ACTIVE:
            return twiml.empty()
        outcome = HANG_UP_OUTCOMES.get(call.state.node, "abandoned")
        reason = (
            NODE_REASONS.get(call.state.node)
            or REASONS.get(outcome)
            or args.get("reason", "caller-hung-up")
        )
        if store.finish(s, call.consultation_id, outcome, reason):
            after.hand_off(runtime, call.consultation_id, outcome)
        elif call.consultation_id is not None:  # handed off earlier: a held call-back may go
            after.hand_off(runtime, call.consultation_id, "intake_call_ended")
        store.save_call(s, call, status=SessionStatus.ENDED)
    after.run()
    return twiml.empty()


Handler = Callable[[Runtime, Mapping[str, str], Mapping[str, str]], VoiceResponse | str]
HANDLERS: dict[str, Handler] = {
    "incoming": incoming,
    "step": step,
    "recording": recording,
    "status": status,
}
