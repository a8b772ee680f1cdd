"""Intakes left half-way are followed up as the IVR promised (real stand-in, real worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.timeutil import utcnow
from ivr.after_commit import settle
from ivr.catalog import catalog
from models import Consultation, ConsultationState, IvrSession, LegRole, Spoke
from ops.sweeper import run_due_timers
from standin import PhoneScript
from tests.workflows.harness import Stack
from workflows.abandoned import FollowUp, policy

S = ConsultationState
PATIENT = "+919431055501"


@pytest.mark.parametrize(
    ("consent", "complaint", "expected"),
    [
        (False, None, FollowUp.NOTHING),
        (False, "fever", FollowUp.NOTHING),
        (True, "fever", FollowUp.CONSULT),
        (True, None, FollowUp.OFFER_RESTART),
        (None, None, FollowUp.OFFER_RESTART),
    ],
)
def test_the_follow_up_reads_what_was_captured(
    consent: bool | None, complaint: str | None, expected: FollowUp
) -> None:
    assert policy(consent, complaint) is expected


def dial(stack: Stack, script: PhoneScript) -> int:
    """The patient rings HWC-001 through the stand-in and plays ``script``."""
    stack.standin.script(PATIENT, script)
    stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
    stack.settle()
    settle()
    with stack.runtime.db.session() as s:
        return s.scalars(select(Consultation.id).order_by(Consultation.id.desc())).first()


def go_silent(stack: Stack, minutes: int = 10) -> None:
    """The intake calls' last webhook was ``minutes`` ago (their status callback lost)."""
    with stack.runtime.db.session() as s:
        s.execute(update(IvrSession).values(updated_at=utcnow() - timedelta(minutes=minutes)))


def test_a_caller_who_hangs_up_after_consent_is_called_back_and_resumes(stack: Stack) -> None:
    cid = dial(stack, PhoneScript(digits=["1", "1"], hangup_after=25.0))
    assert stack.state(cid) is S.INTAKE  # no status callback: the stand-in's number has none
    go_silent(stack)
    stack.standin.script(PATIENT, PhoneScript(answer_after=3.0, digits=["1"], hangup_after=20.0))
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: any(t == "caller-rang-back" for t in stack.reasons(cid)))
    reasons = stack.reasons(cid)
    assert reasons[:2] == ["intake-call-silent", "caller-rang-back"]
    [restart] = [leg for leg in stack.legs(cid) if leg.purpose == f"c{cid}:restart"]
    assert restart.role is LegRole.PATIENT_CALLBACK and restart.to_number == PATIENT
    resumed = [w for w in stack.standin.webhooks(subject=restart.call_sid)
               if "resume=" in w["url"]]  # fmt: skip
    assert resumed and catalog("hi").text("welcome_back") in resumed[0]["response"]
    # She hangs up again half-way: the call's end reaches the workflow, not /ivr/status.
    stack.drive(lambda: stack.state(cid) is S.CLOSED)
    assert stack.reasons(cid)[-2:] == ["caller-hung-up", "restart-call-completed"]
    assert len(stack.legs(cid)) == 1  # one call-back offering to restart, no more


def test_a_caller_who_gave_the_complaint_gets_the_anm_and_a_call_back(stack: Stack) -> None:
    # language, consent, self, name, age, sex, complaint fever, then silence: no input.
    script = PhoneScript(digits=["1", "1", "1", "35#", "1", "1"], record_seconds=3.0)
    cid = dial(stack, script)
    assert stack.state(cid) is S.ABANDONED
    promise = catalog("hi").text("callback_promise")[:40]  # the timeline keeps a verb's start
    verbs = [e["verb"] for e in stack.standin.timeline() if e["kind"] == "verb"]
    assert any(promise in verb for verb in verbs)
    stack.standin.script(PATIENT, PhoneScript(answer_after=3.0, hangup_after=60.0))
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    reasons = stack.reasons(cid)
    assert reasons[:2] == ["no-input", "intake-complete"]
    roles = [leg.role for leg in stack.legs(cid)]
    assert roles[:3] == [LegRole.ANM, LegRole.DOCTOR_OFFER, LegRole.PATIENT_CALLBACK]
    with stack.runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.complaint == "fever" and c.details["follow_up"] == "consult"


def test_a_caller_who_refused_consent_then_hung_up_is_left_alone(stack: Stack) -> None:
    cid = dial(stack, PhoneScript(digits=["1"], hangup_after=25.0))
    with stack.runtime.db.session() as s:
        s.execute(update(Consultation).where(Consultation.id == cid).values(consent=False))
    go_silent(stack)
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(cid) is S.CANCELLED)
    assert stack.reasons(cid)[-1] == "abandoned-consent-refused"
    assert stack.legs(cid) == []


def test_an_unanswered_restart_call_back_is_the_only_one_then_the_intake_is_closed(
    stack: Stack,
) -> None:
    cid = dial(stack, PhoneScript(digits=["1"], hangup_after=15.0))
    go_silent(stack)
    stack.standin.script(PATIENT, PhoneScript(outcome="no-answer"))
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(cid) is S.CLOSED)
    assert stack.reasons(cid)[-1] == "restart-call-no-answer"
    assert [leg.purpose for leg in stack.legs(cid)] == [f"c{cid}:restart"]
    run_due_timers(stack.runtime, utcnow() + timedelta(hours=3))
    assert len(stack.legs(cid)) == 1


def test_the_hand_off_of_an_abandoned_intake_lost_with_redis_is_re_driven(stack: Stack) -> None:
    cid = dial(stack, PhoneScript(digits=["1"], hangup_after=15.0))
    go_silent(stack)
    stack.stop_workers()  # the hand-off job waits in Redis ...
    run_due_timers(stack.runtime, utcnow())
    assert stack.state(cid) is S.ABANDONED
    assert stack.runtime.redis is not None
    stack.runtime.redis.flushdb()  # ... and is lost
    stack.start_worker()
    stack.standin.script(PATIENT, PhoneScript(outcome="busy"))
    run_due_timers(stack.runtime, utcnow() + timedelta(seconds=30))  # the next minute's sweep
    stack.drive(lambda: stack.state(cid) is S.CLOSED)
    assert stack.reasons(cid)[-1] == "restart-call-busy"


def _abandoned_row(stack: Stack, n: int, caller: str = PATIENT, **fields: object) -> int:
    with stack.runtime.db.session() as s:
        c = Consultation(
            reference=f"AB{n:04d}",
            caller_mobile=caller,
            spoke_id=s.scalar(select(Spoke.id).where(Spoke.code == "HWC-001")),
            language="hi",
            **fields,
        )
        s.add(c)
        s.flush()
        c.transition(S.ABANDONED, "caller-hung-up")
        c.created_at = utcnow() - timedelta(minutes=30)
        return c.id


def test_a_caller_who_abandoned_twice_is_called_back_once_for_the_later_call(
    stack: Stack,
) -> None:
    first, second = _abandoned_row(stack, 1), _abandoned_row(stack, 2)
    stack.standin.script(PATIENT, PhoneScript(outcome="no-answer"))
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(first) is S.CLOSED and stack.state(second) is S.CLOSED)
    assert stack.reasons(first)[-1] == "superseded-by-a-later-call"
    assert [leg.purpose for leg in stack.legs()] == [f"c{second}:restart"]


def test_an_abandoned_call_of_a_caller_already_being_reached_adds_no_call(stack: Stack) -> None:
    waiting = stack.consultation(mobile=PATIENT, handoff=False)
    with stack.runtime.db.session() as s:
        c = s.get_one(Consultation, waiting)
        c.transition(S.CALLBACK_SCHEDULED, "patient-no-answer")
        c.state_deadline_at = utcnow() + timedelta(hours=1)
    later = _abandoned_row(stack, 3, consent=True, complaint="cough")
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(later) is S.CLOSED)
    assert stack.reasons(later)[-1] == "caller-already-being-reached"
    assert stack.legs(later) == []


def test_a_caller_we_cannot_ring_back_is_not_rung(stack: Stack) -> None:
    cid = _abandoned_row(stack, 4, caller="sip:alice@example.sip.twilio.com")
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(cid) is S.CLOSED)
    assert stack.reasons(cid)[-1] == "abandoned-caller-not-callable"
    assert stack.legs(cid) == []
    stack.settle()  # the SMS job: the IVR told the caller their ANM is being told
    assert len(stack.standin.inbox(stack.mini.anms["ANM-001"])) == 1
