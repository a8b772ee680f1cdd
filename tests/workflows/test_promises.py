"""Whatever the IVR or the workflow promises a caller, in any language, is done.

``PROMISES`` pairs every prompt that promises the caller something with the test that
shows the promise kept, on whole calls through the local Twilio and a real worker.
The first tests fail when a language lacks a promise the others make, or when a prompt
makes a promise (in English: "call you", "will call", "noted", "registered",
"informing") that no test keeps.
"""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import select, update

from core.timeutil import utcnow
from ivr.catalog import catalog
from models import Consultation, ConsultationState, IvrSession, LegRole
from ops.sweeper import run_due_timers
from standin import PhoneScript
from tests.workflows.harness import Stack
from workflows import prompts as workflow_prompts
from workflows.config import workflow_config
from workflows.context import patient_wait_ends

S = ConsultationState
PATIENT = "+919431066601"
LANGUAGES = ("hi", "ur", "bn", "en")
#: Hindi; consent; self; name; age; female; fever; 3 days; no, no; a description; silence at
#: the SMS script question; silence at the offer to stay (the call-back promise).
COMPLETE = ["1", "1", "1", "35#", "1", "1", "3#", "2", "2", None, None]

#: "<area>:<prompt key>" -> the test (module:function) that shows the promise kept.
PROMISES = {
    "ivr:end_next": f"{__name__}:test_the_patient_who_hangs_up_after_the_intake_is_called_back",
    "ivr:stay_offer": f"{__name__}:test_the_patient_who_hangs_up_after_the_intake_is_called_back",
    "ivr:callback_promise": "tests.workflows.test_abandoned:"
    "test_a_caller_who_gave_the_complaint_gets_the_anm_and_a_call_back",
    "ivr:apology": f"{__name__}:test_a_caller_who_heard_the_apology_is_called_back",
    "ivr:rate_limited": f"{__name__}:test_a_rate_limited_caller_is_called_back_once",
    "ivr:emergency": "tests.ivr.test_whole_calls:"
    "test_a_danger_sign_makes_an_emergency_and_alerts_the_anm",
    "ivr:end_no_callback": "tests.workflows.test_unreachable_callers:"
    "test_a_caller_we_cannot_ring_ends_unreachable_and_only_the_anm_is_told",
    "ivr:stay_offer_no_callback": "tests.ivr.test_stay_consultation:"
    "test_a_patient_who_stays_on_the_line_talks_to_the_anm_and_the_doctor",
    "workflow:callback_later": f"{__name__}:test_a_patient_who_waited_too_long_is_called_back",
    "workflow:apology": f"{__name__}:test_a_patient_who_heard_the_workflow_apology_is_called_again",
    "workflow:anm_later": "tests.workflows.test_consultations:"
    "test_an_anm_who_takes_it_later_is_reminded_and_then_joins",
    "workflow:anm_wait_doctor": "tests.ivr.test_stay_consultation:"
    "test_a_patient_who_stays_on_the_line_talks_to_the_anm_and_the_doctor",
}
PROMISE_WORDS = re.compile(r"call you\b|will call|noted|registered|informing", re.IGNORECASE)


def _texts(area: str, language: str) -> dict[str, str]:
    if area == "ivr":
        return dict(catalog(language).texts)
    return dict(workflow_prompts.PROMPTS[language])


def test_every_promise_in_english_is_paired_with_the_test_that_keeps_it() -> None:
    promising = {
        f"{area}:{key}"
        for area in ("ivr", "workflow")
        for key, text in _texts(area, "en").items()
        if PROMISE_WORDS.search(text)
    }
    assert promising <= set(PROMISES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_makes_the_same_promises(language: str) -> None:
    for promise in PROMISES:
        area, key = promise.split(":")
        assert _texts(area, language).get(key), (language, promise)


@pytest.mark.parametrize("promise", sorted(PROMISES))
def test_each_pairing_names_a_test_that_exists(promise: str) -> None:
    module_name, function = PROMISES[promise].split(":")
    module = sys.modules.get(module_name) or __import__(module_name, fromlist=[function])
    assert callable(getattr(module, function, None)), PROMISES[promise]


# -- the promises kept, on whole calls ------------------------------------------------------
def _consultation(stack: Stack) -> int:
    with stack.runtime.db.session() as s:
        cid = s.scalar(select(Consultation.id).where(Consultation.caller_mobile == PATIENT))
    assert cid is not None
    return cid


def _heard(stack: Stack, sid: str, text: str) -> bool:
    """Whether call ``sid`` ran a verb saying ``text`` (the timeline keeps its first words)."""
    start = text[:40]
    return any(
        e["kind"] == "verb" and e["sid"] == sid and start in e["verb"]
        for e in stack.standin.timeline()
    )


def _called_back(stack: Stack, cid: int) -> list[str]:
    """Our calls to the patient that rang their phone."""
    return [
        leg.call_sid
        for leg in stack.legs(cid)
        if leg.role is LegRole.PATIENT_CALLBACK and leg.to_number == PATIENT and leg.call_sid
    ]


def test_the_patient_who_hangs_up_after_the_intake_is_called_back(stack: Stack) -> None:
    script = PhoneScript(digits=COMPLETE, record_seconds=[3, 12])
    stack.standin.script(PATIENT, script)
    sid = stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
    stack.drive(lambda: stack.standin.calls[sid]["status"] == "completed")
    cid = _consultation(stack)
    stack.standin.script(PATIENT, PhoneScript(answer_after=3.0, hangup_after=120.0))
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert _heard(stack, sid, catalog("hi").text("end_next"))
    assert _called_back(stack, cid), "the ANM and the doctor never called the patient back"


def test_a_caller_who_heard_the_apology_is_called_back(stack: Stack) -> None:
    stack.standin.script(PATIENT, PhoneScript(digits=["1", "1", "1"], hangup_after=600.0))
    with patch("ivr.calls.store.write_step", side_effect=RuntimeError("database lost")):
        sid = stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
        stack.settle()
    assert _heard(stack, sid, catalog("hi").text("apology"))
    cid = _consultation(stack)
    stack.standin.script(PATIENT, PhoneScript(answer_after=3.0, outcome="no-answer"))
    run_due_timers(stack.runtime, utcnow())  # replays the kept webhooks: abandoned
    stack.drive(lambda: stack.state(cid) is S.CLOSED)
    assert len(_called_back(stack, cid)) == 1


def test_a_rate_limited_caller_is_called_back_once(stack: Stack) -> None:
    extra = {**stack.runtime.settings.extra, "ivr": {"rate_limit_calls": 1}}
    stack.runtime.settings = stack.runtime.settings.with_overrides(extra=extra)
    stack.standin.script(PATIENT, PhoneScript(digits=["1"], hangup_after=15.0))
    stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
    stack.settle()
    again = stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
    stack.settle()
    assert _heard(stack, again, catalog("hi").text("rate_limited"))
    cid = _consultation(stack)
    with stack.runtime.db.session() as s:  # the first call's status callback never came
        s.execute(update(IvrSession).values(updated_at=utcnow() - timedelta(minutes=10)))
    stack.standin.script(PATIENT, PhoneScript(outcome="no-answer"))
    run_due_timers(stack.runtime, utcnow())
    stack.drive(lambda: stack.state(cid) is S.CLOSED)
    assert len(_called_back(stack, cid)) == 1


def _doctors(stack: Stack, script: PhoneScript) -> None:
    for mobile in stack.mini.doctors.values():
        stack.standin.script(mobile, script)


def test_a_patient_who_waited_too_long_is_called_back(stack: Stack) -> None:
    _doctors(stack, PhoneScript(outcome="no-answer"))
    stay = [*COMPLETE[:-1], "1"]  # 1 at the offer: stay on the line
    stack.standin.script(PATIENT, PhoneScript(digits=stay, record_seconds=[3, 12]))
    sid = stack.standin.dial_in(from_=PATIENT, to=stack.mini.spoke_numbers["HWC-001"])
    stack.drive(lambda: bool(stack.all_states()) and "patient" in _present(stack))
    cid = _consultation(stack)
    # The wait limit passes while she waits (the stand-in's own clock would run on to
    # its four-hour cap first: the workflow's timer is fired at its moment here).
    with stack.runtime.db.session() as s:
        c = s.get_one(Consultation, cid)
        cfg = workflow_config(stack.runtime.settings)
        waited = patient_wait_ends(c.details, cfg)
    assert waited is not None
    run_due_timers(stack.runtime, waited + timedelta(seconds=1))
    stack.settle(stop=lambda: stack.standin.calls[sid]["status"] == "completed")
    assert _heard(stack, sid, workflow_prompts.text("hi", "callback_later"))
    assert not _called_back(stack, cid)
    _doctors(stack, PhoneScript(answer_after=2.0, digits=["1"], hangup_after=90.0))
    stack.standin.script(PATIENT, PhoneScript(answer_after=3.0, hangup_after=120.0))
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert len(_called_back(stack, cid)) == 1


def _present(stack: Stack) -> dict[str, str]:
    with stack.runtime.db.session() as s:
        c = s.scalars(select(Consultation).where(Consultation.caller_mobile == PATIENT)).first()
        return dict((c.details or {}).get("present") or {}) if c else {}


def test_a_patient_who_heard_the_workflow_apology_is_called_again(stack: Stack) -> None:
    from workflows import bridge

    failures = iter([RuntimeError("database lost")])
    real_answer = bridge.patient_answer

    def answer_once_failing(*args: object, **kwargs: object) -> str:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_answer(*args, **kwargs)  # type: ignore[arg-type]

    stack.standin.script(PATIENT, PhoneScript(answer_after=3.0, hangup_after=120.0))
    with patch("workflows.bridge.patient_answer", side_effect=answer_once_failing):
        cid = stack.consultation(mobile=PATIENT)
        stack.drive(lambda: len(_called_back(stack, cid)) == 1)
        stack.settle()
    [first] = _called_back(stack, cid)
    assert _heard(stack, first, workflow_prompts.text("hi", "apology"))
    stack.drive(lambda: stack.state(cid) is S.AWAITING_PRESCRIPTION)
    assert len(_called_back(stack, cid)) == 2
