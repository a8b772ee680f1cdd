"""The doctor queue's passes: waiting consultations re-check every minute and together queue
one pass, not one each, with no re-check unserved; a pass offers each patient a doctor of
their own spoke's hub first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import select, update

from core.clock import ManualClock, use_clock
from core.runtime import Runtime, install_process_runtime
from models import CallLeg, Consultation, ConsultationState, LegRole, Staff, StaffRole
from tests.builders import intake_done
from tests.workflows.standin_world import on_standin
from workflows import dispatch, effects, jobs
from workflows.store import details, set_details

S = ConsultationState
#: 11:30 IST: inside the call window, everyone on duty.
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def _queued(rt: Runtime) -> list[object]:
    return [job.func for job in rt.queue(effects.QUEUE).jobs]


def test_rechecks_share_one_queue_pass_and_a_later_one_queues_the_next(runtime: Runtime) -> None:
    with on_standin(runtime) as (rt, _standin, mini):
        with rt.db.session() as s:  # three patients waiting, every doctor away, no offer out
            s.execute(update(Staff).where(Staff.role == StaffRole.DOCTOR).values(available=False))
            waiting = []
            for n in range(3):
                c = intake_done(s, mini.spoke_ids["HWC-001"], n + 1)
                c.transition(S.FINDING_DOCTOR, "anm-accepted", deadline=NOW - timedelta(seconds=1))
                set_details(c, offered=[])
                waiting.append(c.id)
        install_process_runtime(rt)
        try:
            with use_clock(ManualClock(NOW)):
                for cid in waiting:  # their timers
                    jobs.advance(cid, "deadline")
            assert _queued(rt) == [jobs.dispatch]  # one pass for the three
            with rt.db.session() as s:
                for cid in waiting:  # each looks again in a minute
                    c = s.get_one(Consultation, cid)
                    assert c.state is S.FINDING_DOCTOR
                    assert c.state_deadline_at == NOW + timedelta(seconds=60)
                s.execute(update(Staff).where(Staff.code == "DR-GM-1").values(available=True))
            with use_clock(ManualClock(NOW)):
                SimpleWorker([rt.queue(effects.QUEUE)], connection=rt.redis).work(burst=True)
                assert _queued(rt) == []
                jobs.advance(waiting[1], "deadline")  # not due yet: nothing
                assert _queued(rt) == []
            with use_clock(ManualClock(NOW + timedelta(seconds=61))):
                jobs.advance(waiting[2], "deadline")  # after the pass began: the next pass
            assert _queued(rt) == [jobs.dispatch]
        finally:
            install_process_runtime(None)
        with rt.db.session() as s:  # the pass served the queue in order: the first waiting
            offers = list(s.scalars(select(CallLeg).where(CallLeg.role == LegRole.DOCTOR_OFFER)))
            assert [leg.consultation_id for leg in offers] == [waiting[0]]
            assert details(s.get_one(Consultation, waiting[0]))["offer_leg"] == offers[0].id


def test_a_pass_offers_each_patient_a_doctor_of_their_spokes_hub_first(runtime: Runtime) -> None:
    with on_standin(runtime) as (rt, _standin, mini):
        with rt.db.session() as s:  # first come: a patient of HWC-003 (hub H-MC), then HWC-001
            waiting = []
            for n, spoke in enumerate(("HWC-003", "HWC-001"), start=1):
                c = intake_done(s, mini.spoke_ids[spoke], n)
                c.transition(S.FINDING_DOCTOR, "anm-accepted", deadline=NOW + timedelta(minutes=1))
                waiting.append(c.id)
        dispatch.dispatch(rt, now=NOW)
        with rt.db.session() as s:
            offered = {
                leg.consultation_id: s.get_one(Staff, leg.staff_id).code
                for leg in s.scalars(select(CallLeg).where(CallLeg.role == LegRole.DOCTOR_OFFER))
            }
        # Both general physicians are free and speak Hindi; each patient gets the one at
        # their own spoke's hub, not simply the first in line.
        assert offered == {waiting[0]: "DR-GM-2", waiting[1]: "DR-GM-1"}


def test_a_patient_whose_row_a_webhook_holds_waits_and_the_doctor_goes_to_the_next(
    runtime: Runtime,
) -> None:
    if runtime.db.is_sqlite:
        pytest.skip("row locks need PostgreSQL")
    with on_standin(runtime) as (rt, _standin, mini):
        with rt.db.session() as s:  # one general physician free; two patients of her hub
            s.execute(update(Staff).where(Staff.code == "DR-GM-2").values(available=False))
            waiting = []
            for n in (1, 2):
                c = intake_done(s, mini.spoke_ids["HWC-001"], n)
                c.transition(S.FINDING_DOCTOR, "anm-accepted", deadline=NOW + timedelta(minutes=1))
                waiting.append(c.id)
        with rt.db.engine.connect() as webhook:  # a status callback holds the first one's row
            webhook.execute(
                select(Consultation.id).where(Consultation.id == waiting[0]).with_for_update()
            )
            dispatch.dispatch(rt, now=NOW)  # does not wait for it
            webhook.rollback()
        with rt.db.session() as s:
            offers = list(s.scalars(select(CallLeg).where(CallLeg.role == LegRole.DOCTOR_OFFER)))
            assert [leg.consultation_id for leg in offers] == [waiting[1]]
            assert s.get_one(Staff, offers[0].staff_id).code == "DR-GM-1"
            assert "offer_leg" not in details(s.get_one(Consultation, waiting[0]))
