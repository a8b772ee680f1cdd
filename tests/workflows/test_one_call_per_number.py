"""One call of ours per number: a patient's phone is never rung by two of our calls at once
(on the session's database and the real stand-in, whose status callbacks reach nobody here:
what they would have said is learnt by the sweeper's reconciliation)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import utcnow
from models import CallLeg, Consultation, ConsultationState, LegRole, Staff
from outbound import legs, lines
from standin import PhoneScript, StandIn
from telephony.errors import RetryableGatewayError
from tests.builders import intake_done
from tests.workflows.standin_world import on_standin
from workflows import effects, engine
from workflows.reconcile import reconcile
from workflows.store import caller_id, set_details

S = ConsultationState


@pytest.fixture
def world(runtime: Runtime) -> Iterator[tuple[Runtime, StandIn, int]]:
    """A consultation bridging (its doctor found), the patient's phone ringing a long time."""
    with on_standin(runtime) as (rt, standin, mini):
        with rt.db.session() as s:
            c = intake_done(s, mini.spoke_ids["HWC-001"], 1)
            c.state = S.BRIDGING
            cid = c.id
        standin.script("+919800000001", PhoneScript(outcome="no-answer"))
        yield rt, standin, cid


def _call_back(rt: Runtime, cid: int, attempt: int) -> int:
    """The consultation's patient call-back ``attempt``, the one it now wants placed."""
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        leg = CallLeg(consultation_id=cid, purpose=f"c{cid}:patient:{attempt}",
                      role=LegRole.PATIENT_CALLBACK, from_number=caller_id(s, c, rt.settings),
                      to_number=c.caller_mobile, status="created", attempt=attempt)  # fmt: skip
        s.add(leg)
        s.flush()
        set_details(c, patient_leg=leg.id, patient_calls=attempt)
        return leg.id


def _calls_to(standin: StandIn, number: str) -> list[dict[str, Any]]:
    """The stand-in's calls to ``number`` (Twilio's Call resources), oldest first."""
    calls = [call for call in standin.calls.values() if call["to"] == number]
    return sorted(calls, key=lambda call: parsedate_to_datetime(call["date_created"]))


def _leg(rt: Runtime, leg_id: int) -> CallLeg:
    with rt.db.session() as s:
        return s.get_one(CallLeg, leg_id)


def test_attempt_2_waits_while_attempt_1_rings_and_goes_once_it_has_ended(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    first = _call_back(rt, cid, 1)
    assert legs.place(rt, first) is not None
    standin.advance(5)
    second = _call_back(rt, cid, 2)  # attempt 1's events were lost: the workflow tries again

    assert legs.place(rt, second) is None  # the patient's phone is still ringing
    assert len(_calls_to(standin, "+919800000001")) == 1
    waiting = _leg(rt, second)
    assert waiting.status == "created" and waiting.call_sid is None  # not dropped: waiting
    assert lines.busy(rt, "+919800000001") == [first]
    now = utcnow()
    assert reconcile(rt, now + timedelta(seconds=40))["placed"] == 0  # still ringing at Twilio
    assert len(_calls_to(standin, "+919800000001")) == 1

    standin.advance(120)  # attempt 1 rings out; its no-answer callback reaches nobody
    counts = reconcile(rt, now + timedelta(minutes=3))
    assert _leg(rt, first).status == "no-answer"  # learnt from Twilio
    assert counts["placed"] == 1
    calls = _calls_to(standin, "+919800000001")
    assert len(calls) == 2
    ended = parsedate_to_datetime(calls[0]["end_time"])
    assert parsedate_to_datetime(calls[1]["date_created"]) >= ended
    assert _leg(rt, second).call_sid == calls[1]["sid"]


def test_a_leg_no_longer_wanted_is_canceled_not_placed_when_the_line_frees(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    first = _call_back(rt, cid, 1)
    legs.place(rt, first)
    second = _call_back(rt, cid, 2)
    assert legs.place(rt, second) is None
    with rt.db.session() as s:
        s.get_one(Consultation, cid).state = S.FINDING_DOCTOR  # the doctor left meanwhile
    standin.advance(120)
    reconcile(rt, utcnow() + timedelta(minutes=3))
    assert _leg(rt, second).status == "canceled"
    assert len(_calls_to(standin, "+919800000001")) == 1


def test_workers_placing_legs_to_one_number_at_once_ring_it_once(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    ids = []
    with rt.db.session() as s:  # six consultations of one family, one phone, at one moment
        spoke = s.get_one(Consultation, cid).spoke_id
        for n in range(2, 8):
            c = intake_done(s, spoke, n)
            c.caller_mobile, c.state = "+919800000001", S.BRIDGING
            leg = CallLeg(consultation_id=c.id, purpose=f"c{c.id}:patient:1",
                          role=LegRole.PATIENT_CALLBACK, from_number=caller_id(s, c, rt.settings),
                          to_number="+919800000001", status="created")  # fmt: skip
            s.add(leg)
            s.flush()
            set_details(c, patient_leg=leg.id)
            ids.append(leg.id)
    gate = threading.Barrier(len(ids))
    placed: list[str | None] = []

    def place(leg_id: int) -> None:
        gate.wait()
        placed.append(legs.place(rt, leg_id))

    threads = [threading.Thread(target=place, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(placed) == len(ids)
    assert len([sid for sid in placed if sid]) == 1
    assert len(_calls_to(standin, "+919800000001")) == 1
    with rt.db.session() as s:
        statuses = sorted(s.scalars(select(CallLeg.status).where(CallLeg.id.in_(ids))))
    assert statuses == ["created"] * 5 + ["queued"]  # the others wait their turn


def test_an_anm_on_one_of_our_calls_is_not_rung_for_another_case_the_next_anm_is(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, _cid = world
    with rt.db.session() as s:
        spoke = s.get_one(Consultation, _cid).spoke_id
        first, second = intake_done(s, spoke, 2).id, intake_done(s, spoke, 3).id
    effects.apply(rt, engine.advance(rt, first, "intake_complete", claim=True), inline=True)
    effects.apply(rt, engine.advance(rt, second, "intake_complete", claim=True), inline=True)
    with rt.db.session() as s:
        rows = s.execute(
            select(CallLeg.consultation_id, CallLeg.to_number, CallLeg.status, CallLeg.call_sid)
            .where(CallLeg.role == LegRole.ANM)
            .order_by(CallLeg.id)
        ).all()
    (c1, anm, up, sid), (c2, same, busy, none), (c3, other, queued, _sid) = rows
    assert (c1, c2, c3) == (first, second, second) and same == anm != other
    assert up == "queued" and sid and busy == "busy" and none is None and queued == "queued"
    assert len(_calls_to(standin, anm)) == 1  # she was rung once, for the first case
    assert len(_calls_to(standin, other)) == 1  # the second case went on to the next ANM


def test_emergency_legs_are_not_held_back(world: tuple[Runtime, StandIn, int]) -> None:
    rt, _standin, cid = world
    first = _call_back(rt, cid, 1)
    legs.place(rt, first)
    with rt.db.session() as s:
        leg = CallLeg(consultation_id=cid, purpose=f"c{cid}:108", role=LegRole.EMERGENCY,
                      from_number="+916456000000", to_number="+919800000001")  # fmt: skip
        s.add(leg)
        s.flush()
        emergency = leg.id
    assert lines.take(rt, emergency) is lines.Line.FREE


def test_a_request_twilio_refused_with_503_does_not_hold_the_number(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    assert standin.rest_faults is not None
    standin.rest_faults.configure([{"endpoint": "calls.create", "sequence": ["503"]}])
    first = _call_back(rt, cid, 1)
    with pytest.raises(RetryableGatewayError):
        legs.place(rt, first)  # Twilio made no call: the job is retried later
    assert _leg(rt, first).status == "created" and not lines.busy(rt, "+919800000001")
    second = _call_back(rt, cid, 2)  # the workflow moved on to a new call-back meanwhile
    assert legs.place(rt, second) is not None
    assert len(_calls_to(standin, "+919800000001")) == 1


def test_a_doctor_on_one_of_our_calls_is_not_offered_another_nor_counted_as_missing_it(
    world: tuple[Runtime, StandIn, int],
) -> None:
    rt, standin, cid = world
    with rt.db.session() as s:
        doctor = s.scalars(select(Staff).where(Staff.code == "DR-GM-1")).one()
        doctor.missed_offers, number = 0, doctor.mobile
        standin.script(number, PhoneScript(outcome="no-answer"))
        spoke = s.get_one(Consultation, cid).spoke_id
        offers = []
        for n in (2, 3):  # two cases offered to her one after the other
            c = intake_done(s, spoke, n)
            c.state = S.FINDING_DOCTOR
            leg = CallLeg(consultation_id=c.id, purpose=f"c{c.id}:offer:1",
                          role=LegRole.DOCTOR_OFFER, staff_id=doctor.id, to_number=number,
                          from_number=caller_id(s, c, rt.settings), status="created")  # fmt: skip
            s.add(leg)
            s.flush()
            set_details(c, offer_leg=leg.id)
            offers.append(leg.id)
    assert legs.place(rt, offers[0]) is not None
    assert legs.place(rt, offers[1]) is None
    refused = _leg(rt, offers[1])
    assert (refused.status, refused.outcome, refused.call_sid) == ("busy", "line-busy", None)
    assert refused.error_message == legs.LINE_BUSY  # the operator sees why
    assert len(_calls_to(standin, number)) == 1
    with rt.db.session() as s:
        assert s.get_one(Staff, doctor.id).missed_offers == 0  # our own call is not her fault
