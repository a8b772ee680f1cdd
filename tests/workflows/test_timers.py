"""A deadline's RQ timer runs when the deadline has passed, never before (RQ's whole seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry

from core.clock import ManualClock, use_clock
from core.runtime import Runtime, install_process_runtime
from models import Consultation, ConsultationState
from tests.builders import intake_done
from tests.workflows.standin_world import on_standin
from workflows import effects, engine, jobs

S = ConsultationState
#: 11:30:00.7 IST: the ANMs are on duty; a deadline 90 s on ends in a fraction of a second.
NOW = datetime(2026, 11, 26, 6, 0, 0, 700_000, tzinfo=UTC)


def test_the_timer_fires_once_its_deadline_has_passed_and_moves_the_case_on(
    runtime: Runtime,
) -> None:
    with on_standin(runtime) as (rt, _standin, mini):
        with rt.db.session() as s:
            cid = intake_done(s, mini.spoke_ids["HWC-001"], 1).id
        fx = engine.advance(rt, cid, "intake_complete", now=NOW)
        ((deadline, _),) = fx.timers
        assert deadline.microsecond  # the case this test is about
        effects.apply(rt, fx)
        registry = ScheduledJobRegistry(queue=rt.queue("workflow"))
        (job_id,) = registry.get_job_ids()
        fires = registry.get_scheduled_time(job_id)  # RQ's scheduler enqueues it from here on
        assert deadline <= fires < deadline + timedelta(seconds=1)
        install_process_runtime(rt)
        try:
            with use_clock(ManualClock(fires)):
                jobs.advance(cid, "deadline")  # the timer job, run as early as RQ would
        finally:
            install_process_runtime(None)
        with rt.db.session() as s:
            reasons = [t.reason for t in s.get_one(Consultation, cid).transitions]
        assert reasons[-1] == "anm-timeout"  # the ANM who never answered is skipped
