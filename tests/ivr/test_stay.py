"""Staying on the line after the intake: the offer, its keys, when it is made, the join.

The engine's rules (pure), who can come (``ivr.stay`` on the database), and the
webhooks driven through the Flask test client with signed requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock, use_clock
from core.timeutil import IST
from ivr.catalog import catalog
from ivr.config import IvrConfig
from ivr.engine import CallState, Engine, Input
from ivr.stay import someone_can_come
from ivr.twiml import Urls
from models import ConsultationState, IvrSession, Roster, Staff, StaffRole
from tests.builders import MiniDistrict
from tests.ivr.caller import Caller, answers
from tests.ivr.conftest import PATIENT, full_day, stored
from workflows.config import WorkflowConfig
from workflows.engine import advance

HI, EN = catalog("hi"), catalog("en")
ENGINE = Engine(IvrConfig(), Urls("http://sampark.test"))
#: Hindi, for oneself, up to the description (then the SMS script question).
SELF_FEVER = ["1", "1", "1", ("rec", "http://rec/name"), "35#", "1", "1", "3#", "2", "2"]
ENGLISH_SELF_FEVER = ["4", *SELF_FEVER[1:], ("rec", "http://rec/d")]


class NoLookups:
    def spoke_by_code(self, code: str) -> None:
        return None


class Staffing:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked = 0

    def someone_can_come(self, variables: dict[str, Any]) -> bool:
        self.asked += 1
        return self.answer


# -- the engine's rules ----------------------------------------------------------------
def _at_offer(**variables: Any) -> CallState:
    return CallState(node="stay", language="en", vars={"reference": "471209", **variables})


@pytest.mark.parametrize(("can_come", "lands_on"), [(True, "stay"), (False, "end")])
def test_the_offer_is_made_only_when_someone_can_come(can_come: bool, lands_on: str) -> None:
    state = CallState(node="description", language="en", vars={"reference": "471209"})
    staffing = Staffing(can_come)
    reached = ENGINE.enter(state, "stay", [], staffing=staffing)
    assert reached == ("" if can_come else "intake_complete")  # "end" is a final node
    assert state.node == lands_on and state.vars["stay_offer"] is can_come
    ENGINE.enter(state, "stay", [], staffing=staffing)  # looked up once per call
    assert staffing.asked == 1


def test_without_a_look_up_the_fast_path_passes_the_offer_to_the_full_path() -> None:
    state = CallState(node="description", language="en", vars={"reference": "471209"})
    # "end", a final node: the fast path steps aside and the full path looks it up
    assert ENGINE.enter(state, "stay", []) == "intake_complete" and state.node == "end"
    assert "stay_offer" not in state.vars


def test_pressing_1_stays_and_is_recorded() -> None:
    state = _at_offer(stay_offer=True)
    answered = ENGINE.answer(state, Input(digits="1"), NoLookups())
    assert answered.goto == "join" and answered.effects.answers == {"stay": "yes"}
    assert ENGINE.enter(state, answered.goto, answered.before) == "intake_complete"
    assert state.node == "join"


def test_silence_at_the_offer_is_the_call_back_promise_at_once() -> None:
    state = _at_offer(stay_offer=True)
    answered = ENGINE.answer(state, Input(), NoLookups())
    assert (answered.goto, answered.before, answered.effects.answers) == ("end", [], {})


def test_star_repeats_and_wrong_keys_are_named_then_the_call_back_promise() -> None:
    state = _at_offer(stay_offer=True)
    assert ENGINE.answer(state, Input(digits="*"), NoLookups()).repeat
    for attempt in range(1, 4):
        answered = ENGINE.answer(state, Input(digits="7"), NoLookups())
        assert answered.goto == "stay" and answered.repeat and state.errors == attempt
        assert answered.before[0].key == "wrong_key"
    answered = ENGINE.answer(state, Input(digits="7"), NoLookups())
    assert answered.goto == "end" and [line.key for line in answered.before] == ["wrong_key"]


# -- who can come ----------------------------------------------------------------------
def _ist(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 4, hour, minute, tzinfo=IST)  # a Wednesday


def _variables(mini: MiniDistrict, complaint: str = "fever", **extra: Any) -> dict[str, Any]:
    return {"spoke_id": mini.spoke_ids["HWC-001"], "complaint": complaint, **extra}


def _doctors(runtime, **values: Any) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        s.execute(update(Staff).where(Staff.role == StaffRole.DOCTOR).values(**values))


def test_someone_can_come_inside_the_call_window_with_a_doctor_on_duty(runtime, mini) -> None:
    cfg = WorkflowConfig()  # the default window: 08:00-20:00 IST
    with runtime.db.session() as s:
        assert someone_can_come(s, cfg, _variables(mini), _ist(10))
        assert not someone_can_come(s, cfg, _variables(mini), _ist(7, 59))
        assert not someone_can_come(s, cfg, _variables(mini), _ist(22))
        assert not someone_can_come(s, cfg, {"complaint": "fever"}, _ist(10))  # no spoke


def test_nobody_can_come_when_no_doctor_is_on_duty_active_and_available(runtime, mini) -> None:
    cfg = WorkflowConfig()
    _doctors(runtime, available=False)
    with runtime.db.session() as s:
        assert not someone_can_come(s, cfg, _variables(mini), _ist(10))
    _doctors(runtime, available=True, active=False)
    with runtime.db.session() as s:
        assert not someone_can_come(s, cfg, _variables(mini), _ist(10))
    _doctors(runtime, active=True)
    with runtime.db.session() as s:  # rosters: the morning only
        for roster in s.scalars(select(Roster)):
            roster.starts, roster.ends = _ist(9).time(), _ist(14).time()
    with runtime.db.session() as s:
        assert someone_can_come(s, cfg, _variables(mini), _ist(11))
        assert not someone_can_come(s, cfg, _variables(mini), _ist(16))


def test_the_case_needs_its_specialist_or_general_medicine(runtime, mini) -> None:
    cfg = WorkflowConfig()
    with runtime.db.session() as s:  # only the dermatologist is working
        s.execute(
            update(Staff)
            .where(Staff.role == StaffRole.DOCTOR, Staff.specialty != "dermatology")
            .values(available=False)
        )
    with runtime.db.session() as s:
        assert someone_can_come(s, cfg, _variables(mini, "skin"), _ist(10))
        assert not someone_can_come(s, cfg, _variables(mini, "fever"), _ist(10))
        assert not someone_can_come(s, cfg, _variables(mini, "skin", age=4), _ist(10))  # a child
    with runtime.db.session() as s:  # general medicine back: it takes anyone
        s.execute(update(Staff).where(Staff.specialty == "general_medicine").values(available=True))
    with runtime.db.session() as s:
        assert someone_can_come(s, cfg, _variables(mini, "pregnancy"), _ist(10))
        assert someone_can_come(s, cfg, _variables(mini, "child_illness", age=4), _ist(10))


# -- through the webhooks --------------------------------------------------------------
def _complete(phone: Caller) -> None:
    """An English intake for oneself, to the offer (English callers are not asked the SMS
    script)."""
    phone.dial()
    answers(phone, ENGLISH_SELF_FEVER)


def _session(runtime, call_sid: str) -> IvrSession:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        row = s.scalars(select(IvrSession).where(IvrSession.call_sid == call_sid)).one()
        s.expunge(row)
        return row


def test_pressing_1_hands_the_call_to_the_conference(runtime, call_spoke, handoffs) -> None:
    phone = call_spoke()
    _complete(phone)
    [row] = stored(runtime)
    assert phone.node == "stay" and phone.words == [
        EN.text("reference", digits=", ".join(row["reference"])),
        EN.text("stay_offer"),
    ]
    # saved and handed on before the offer was heard
    assert row["state"] == "intake_complete" and handoffs == [(row["id"], "intake_complete")]
    phone.press("1")
    join = f"http://sampark.test/calls/consultations/{row['id']}/join"
    assert phone.verbs() == ["Redirect"] and phone.last is not None
    assert phone.last.find("Redirect").text == join  # type: ignore[union-attr]
    [row] = stored(runtime)
    assert row["answers"]["stay"] == "yes" and row["state"] == "intake_complete"
    assert _session(runtime, phone.call_sid).status == "ended"  # the IVR's part is over
    assert handoffs == [(row["id"], "intake_complete")]  # not handed on twice
    # Twilio follows the <Redirect>: the workflow puts the caller in the conference to wait
    # (its hand-off job has not run yet: the consultation is still intake_complete).
    phone.silence()
    conference = phone.last.find("Dial/Conference")
    assert conference is not None and conference.text == f"sampark-{row['reference']}"
    assert conference.get("participantLabel") == "patient"
    assert conference.get("startConferenceOnEnter") == "false"
    # the caller later hangs up in the conference: the intake is not undone
    phone.hang_up()
    assert stored(runtime)[0]["state"] == "intake_complete"


def test_a_join_after_the_workflow_took_the_case_also_waits(runtime, call_spoke) -> None:
    phone = call_spoke()
    _complete(phone)
    phone.press("1")
    [row] = stored(runtime)
    advance(runtime, row["id"], "intake_complete")  # the hand-off job ran: the ANM is called
    assert stored(runtime)[0]["state"] == ConsultationState.CALLING_ANM.value
    phone.silence()
    assert phone.last is not None and phone.last.find("Dial/Conference") is not None


def test_silence_at_the_offer_keeps_the_call_back_promise(runtime, call_spoke, handoffs) -> None:
    phone = call_spoke()
    _complete(phone)
    phone.silence()
    assert phone.words == [EN.text("end_next")] and phone.verbs() == ["Say", "Hangup"]
    [row] = stored(runtime)
    assert row["state"] == "intake_complete" and "stay" not in row["answers"]
    assert handoffs == [(row["id"], "intake_complete")]
    assert _session(runtime, phone.call_sid).status == "ended"


def test_star_repeats_the_offer_and_wrong_keys_are_named(runtime, call_spoke) -> None:
    phone = call_spoke()
    _complete(phone)
    first = phone.words
    phone.press("*")
    assert phone.words == first  # the reference number too
    phone.press("5")
    assert phone.node == "stay"
    assert phone.words == [EN.text("wrong_key", digits="5"), EN.text("stay_offer")]
    for key in ("6", "7"):
        phone.press(key)
    phone.press("8")  # the fourth wrong key: called back, as after silence
    assert phone.words == [EN.text("wrong_key", digits="8"), EN.text("end_next")]
    assert stored(runtime)[0]["state"] == "intake_complete"


def test_a_hang_up_at_the_offer_loses_nothing(runtime, call_spoke, handoffs) -> None:
    phone = call_spoke()
    _complete(phone)
    phone.hang_up()
    [row] = stored(runtime)
    assert row["state"] == "intake_complete"
    # The workflow has the case, and then hears that the call ended: a call-back held
    # while the caller was still on the line may go now.
    assert handoffs == [(row["id"], "intake_complete"), (row["id"], "intake_call_ended")]


def test_outside_the_call_window_no_one_is_asked_to_wait(runtime, call_spoke) -> None:
    closed = {**runtime.settings.extra, "workflow": {"call_window": ["08:00", "20:00"]}}
    runtime.settings = runtime.settings.with_overrides(extra=closed)
    phone = call_spoke()
    with use_clock(ManualClock(_ist(22))):
        _complete(phone)
    [row] = stored(runtime)
    assert phone.words == [  # as before: the reference and the call-back promise
        EN.text("reference", digits=", ".join(row["reference"])),
        EN.text("end_next"),
    ]
    assert phone.verbs() == ["Say", "Say", "Hangup"] and row["state"] == "intake_complete"
    assert _session(runtime, phone.call_sid).vars["stay_offer"] is False


def test_no_doctor_on_duty_no_offer(runtime, call_spoke) -> None:
    _doctors(runtime, available=False)
    phone = call_spoke()
    _complete(phone)
    assert phone.words[-1] == EN.text("end_next") and phone.verbs()[-1] == "Hangup"


def test_an_emergency_is_told_to_go_to_hospital_not_to_wait(runtime, call_spoke) -> None:
    phone = call_spoke()
    phone.dial()
    answers(phone, ["4", "1", "1", ("rec", "http://rec/n"), "58#", "2", "2", "1#", "2", "1"])
    assert phone.node == ""  # no ambulance line to connect to: nothing asked, goodbye
    assert phone.words[-1] == EN.text("emergency_end") and phone.verbs()[-1] == "Hangup"
    assert EN.text("stay_offer") not in phone.words
    assert stored(runtime)[0]["state"] == "emergency"


def test_our_missed_call_call_back_makes_the_same_offer(runtime, client, mini) -> None:
    full_day(runtime)
    # The call-back is our outbound call from the missed-call line (a district-wide line:
    # the spoke code is asked); its webhooks are the IVR's, as for any call.
    phone = Caller(client, PATIENT, mini.missed_call_number, direction="outbound-api")
    phone.dial()
    answers(phone, ["4", "101#", *ENGLISH_SELF_FEVER[1:]])
    assert phone.node == "stay" and phone.words[-1] == EN.text("stay_offer")
    phone.press("1")
    [row] = stored(runtime)
    assert row["channel"] == "missed" and row["answers"]["stay"] == "yes"
    phone.silence()  # into the conference
    assert phone.last is not None and phone.last.find("Dial/Conference") is not None
