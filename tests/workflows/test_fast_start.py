"""The fast start (``workflows.fast_start``) writes what the full path writes, or stands aside.

Each case builds two identical consultations, starts one through the ORM step
(``engine.advance(..., claim=True)``) and the other through the fast path at the same
moment, and compares every row and request they leave; the fallbacks leave nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock, use_clock
from core.runtime import Runtime, install_process_runtime
from models import CallLeg, Consultation, ConsultationState, Spoke, Staff
from tests.builders import build_mini_district, intake_done
from tests.workflows.standin_world import on_standin
from workflows import engine, fast_start, jobs, people
from workflows.store import Effects

S = ConsultationState
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 11:30 IST: the mini district's ANMs on duty
#: The real ANM ordering, called between the fast path's reads and its write.
ORDER_ANMS = people.order_anms


def _consultation(rt: Runtime, n: int, *, spoke: str = "HWC-001", **kw: Any) -> int:
    with rt.db.session() as s:
        return intake_done(s, s.scalar(select(Spoke.id).where(Spoke.code == spoke)), n, **kw).id


def _leg_ids(fx: Effects) -> list[int]:
    return [leg_id for leg_id, _ in fx.claimed]


def _snapshot(rt: Runtime, cid: int, fx: Effects) -> dict[str, Any]:
    """Everything a start leaves, with the consultation's and leg's own ids abstracted."""
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        legs = list(s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)))
        assert len(legs) == 1
        leg = legs[0]
        details = dict(c.details)
        assert details.get("anm_leg") == leg.id
        details["anm_leg"] = "LEG"
        ids = {str(cid): "CID", str(leg.id): "LEG"}

        def plain(value: Any) -> Any:
            if isinstance(value, str):
                for real, name in ids.items():
                    value = value.replace(f"/{real}/", f"/{name}/").replace(f"c{real}:", "cCID:")
            return value

        assert _leg_ids(fx) == [leg.id]
        return {
            "consultation": {
                "state": c.state,
                "version": c.version,
                "specialty": c.specialty,
                "priority": c.priority,
                "intake_completed_at": c.intake_completed_at,
                "state_deadline_at": c.state_deadline_at,
                "details": details,
            },
            "leg": {
                k: plain(getattr(leg, k))
                for k in (
                    "purpose",
                    "role",
                    "direction",
                    "staff_id",
                    "from_number",
                    "to_number",
                    "status",
                    "attempt",
                    "call_sid",
                    "outcome",
                )
            },
            "moves": [(t.from_state, t.to_state, t.reason) for t in c.transitions],
            "requests": [{k: plain(v) for k, v in r.items()} for _, r in fx.claimed],
            "timers": [(at, "CID" if i == cid else i) for at, i in fx.timers],
            "place": fx.place,
            "dispatch": fx.dispatch,
        }


def _both(rt: Runtime, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    full_id, fast_id = _consultation(rt, 1, **kw), _consultation(rt, 2, **kw)
    full_fx = engine.advance(rt, full_id, "intake_complete", now=NOW, claim=True)
    fast_fx = fast_start.try_start(rt, fast_id, now=NOW)
    assert fast_fx is not None, "the fast path stood aside"
    return _snapshot(rt, full_id, full_fx), _snapshot(rt, fast_id, fast_fx)


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    with runtime.db.session() as s:
        build_mini_district(s)
    return runtime


CASES: dict[str, dict[str, Any]] = {
    "routine": {},
    "emergency": {"emergency": True, "danger_signs": ["convulsions"]},
    "child under five": {"age": 3},
    "pregnancy": {"complaint": "pregnancy", "age": 24},
    "skin, routed by the map": {"complaint": "skin"},
    "specialty, priority and intake time already set": {
        "specialty": "dermatology",
        "priority": 1,
        "intake_completed_at": NOW - timedelta(minutes=3),
    },
    "patient waiting on the line (deadline capped)": {
        "details": {
            "patient_since": (NOW - timedelta(seconds=550)).isoformat(),
            "present": {"patient": "CA" + "1" * 32},
        }
    },
    "patient who hung up (deadline not capped)": {
        "details": {"patient_since": (NOW - timedelta(seconds=550)).isoformat(), "present": {}}
    },
}


@pytest.mark.parametrize("case", CASES)
def test_the_fast_start_leaves_what_the_full_path_leaves(rt: Runtime, case: str) -> None:
    full, fast = _both(rt, **CASES[case])
    assert fast == full
    assert full["consultation"]["state"] is S.CALLING_ANM
    assert full["leg"]["status"] == "dialing"


def test_a_block_anm_is_called_when_the_spokes_own_is_off(rt: Runtime) -> None:
    with rt.db.session() as s:
        s.execute(update(Staff).where(Staff.code == "ANM-003").values(active=False))
    full, fast = _both(rt, spoke="HWC-002")
    assert fast == full
    with rt.db.session() as s:
        first = s.scalar(select(Staff.id).where(Staff.code == "ANM-001"))
    assert fast["leg"]["staff_id"] == first


def _untouched(rt: Runtime, cid: int) -> None:
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.state is S.INTAKE_COMPLETE and c.version == 2
        assert [t.reason for t in c.transitions] == ["ivr-complete"]
        assert not s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()


def test_nobody_on_duty_is_left_to_the_full_path(rt: Runtime) -> None:
    with rt.db.session() as s:
        s.execute(update(Staff).where(Staff.code == "ANM-004").values(active=False))
    cid = _consultation(rt, 1, spoke="HWC-003")
    assert fast_start.try_start(rt, cid, now=NOW) is None
    _untouched(rt, cid)
    engine.advance(rt, cid, "intake_complete", now=NOW, claim=True)
    with rt.db.session() as s:
        assert s.get_one(Consultation, cid).state is S.FINDING_DOCTOR


def test_a_started_consultation_is_left_to_the_full_path(rt: Runtime) -> None:
    cid = _consultation(rt, 1)
    engine.advance(rt, cid, "intake_complete", now=NOW, claim=True)
    assert fast_start.try_start(rt, cid, now=NOW) is None
    with rt.db.session() as s:
        assert len(s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()) == 1


def test_a_leg_already_written_for_the_purpose_writes_nothing_at_all(rt: Runtime) -> None:
    cid = _consultation(rt, 1)
    with rt.db.session() as s:
        s.add(CallLeg(purpose=f"c{cid}:anm:1", role="anm", from_number="+1", to_number="+2"))
    assert fast_start.try_start(rt, cid, now=NOW) is None
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.state is S.INTAKE_COMPLETE and c.version == 2
        assert [t.reason for t in c.transitions] == ["ivr-complete"]


def test_a_consultation_moved_by_another_process_meanwhile_is_not_overwritten(
    rt: Runtime,
) -> None:
    cid = _consultation(rt, 1)

    def moved_meanwhile(*args: Any) -> list[tuple[int, str]]:
        with patch.object(people, "order_anms", ORDER_ANMS):  # the other process
            engine.advance(rt, cid, "intake_complete", now=NOW, claim=True)
        return ORDER_ANMS(*args)

    with patch.object(people, "order_anms", side_effect=moved_meanwhile):
        assert fast_start.try_start(rt, cid, now=NOW) is None
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.version == 3 and c.state is S.CALLING_ANM
        assert [t.reason for t in c.transitions] == ["ivr-complete", "intake-complete"]
        assert len(s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()) == 1


def test_the_connection_lost_is_replaced_on_the_next_start(rt: Runtime) -> None:
    first, second = _consultation(rt, 1), _consultation(rt, 2)
    assert fast_start.try_start(rt, first, now=NOW) is not None
    with rt.db.engine.connect() as admin:
        with rt.db.autocommit() as own:
            pid = own.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    assert fast_start.try_start(rt, second, now=NOW) is None  # the full path takes this one
    assert fast_start.try_start(rt, _consultation(rt, 3), now=NOW) is not None


def test_bookkeeping_written_meanwhile_is_not_lost(rt: Runtime) -> None:
    """The IVR puts the patient into the conference (a details-only write, same state)."""
    cid = _consultation(rt, 1)
    on_line = {"patient": "CA" + "2" * 32}

    def joined_meanwhile(*args: Any) -> list[tuple[int, str]]:
        with rt.db.session() as s:
            c = s.get_one(Consultation, cid)
            c.details = {**c.details, "present": on_line, "patient_since": NOW.isoformat()}
        return ORDER_ANMS(*args)

    with patch.object(people, "order_anms", side_effect=joined_meanwhile):
        assert fast_start.try_start(rt, cid, now=NOW) is None
    with rt.db.session() as s:
        c = s.get_one(Consultation, cid)
        assert c.state is S.INTAKE_COMPLETE and c.details["present"] == on_line
        assert not s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()


def test_the_workers_start_job_takes_the_fast_path_and_places_the_call(runtime: Runtime) -> None:
    with on_standin(runtime) as (stack_rt, standin, mini):
        cid = _consultation(stack_rt, 1)
        install_process_runtime(stack_rt)
        try:
            with (
                use_clock(ManualClock(NOW)),
                patch.object(engine, "advance", side_effect=AssertionError("the ORM step ran")),
            ):
                jobs.advance(cid, "intake_complete")
        finally:
            install_process_runtime(None)
        with stack_rt.db.session() as s:
            assert s.get_one(Consultation, cid).state is S.CALLING_ANM
            leg = s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).one()
        assert leg.call_sid is not None and leg.status == "queued"  # sent inline: no sender here
        assert [c["sid"] for c in standin.calls_to(mini.anms["ANM-001"])] == [leg.call_sid]
