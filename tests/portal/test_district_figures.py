"""The district figures and the monthly report against hand-built rows, on PostgreSQL
(the test database) and on SQLite (the demo's), which must give the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import CallWindow
from core.runtime import Runtime
from core.timeutil import IST
from models import Base, Block, Roster, Staff
from ops.simulate_summary import COMPLETED
from portal.district_figures import figures
from portal.district_rosters import gap_hours, on_duty, roster_gaps
from portal.district_sql import COMPLETED_STATES, Period
from portal.report_monthly import HEADER, monthly_report, parse_month, to_csv
from tests.builders import build_mini_district
from tests.portal.district_rows import build_rows

WEEK = Period(date(2026, 11, 9), date(2026, 11, 15))


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Session]:
    """A session on the seeded rows: the test PostgreSQL database, or a SQLite file."""
    if request.param == "postgresql":
        runtime: Runtime = request.getfixturevalue("runtime")
        session = runtime.db.sessions()
    else:
        engine = create_engine(f"sqlite:///{tmp_path}/district.db")
        Base.metadata.create_all(engine)
        session = sessionmaker(engine, expire_on_commit=False)()
    mini = build_mini_district(session)
    build_rows(session, mini)
    session.commit()
    try:
        yield session
    finally:
        session.close()


def test_the_completed_outcome_is_the_simulations() -> None:
    assert COMPLETED_STATES == COMPLETED


def test_each_consultation_counts_once_in_its_ist_day_and_outcome(db: Session) -> None:
    f = figures(db, WEEK)
    assert f.volume.total == 10  # c9 (23:30 IST on the 8th) and c11 (the 16th) are outside
    assert dict(f.outcomes) == {
        "completed": 3,  # c1, c2 and c12 (an emergency a doctor saw)
        "emergency": 1,
        "unreachable": 1,
        "callback": 1,
        "abandoned": 2,  # hung up (c6), refused consent (c7)
        "in_progress": 2,
    }
    by_day = f.volume.by_day_block
    assert by_day[("2026-11-10", "Kishanganj")] == 1  # c1; c2 is 01:30 IST on the 11th
    assert by_day[("2026-11-11", "Kishanganj")] == 2
    assert by_day[("2026-11-15", "Kishanganj")] == 1  # 23:59 IST
    assert by_day[("2026-11-14", "-")] == 1  # no HWC known
    assert f.volume.weeks == ["2026-11-09"]
    assert f.volume.by_week_hub[("2026-11-09", "Sadar Hospital Kishanganj")] == 7
    assert ("Kishanganj", "Sadar Hospital Kishanganj", "HWC-001", 4) in f.volume.by_hwc
    assert len(f.volume.days) == 7


def test_waits_offers_and_sms(db: Session) -> None:
    f = figures(db, WEEK)
    assert f.waits == 3
    assert f.wait_p50_s == 15 * 60 and f.wait_p95_s == 15 * 60  # [10, 15, 30] min
    total = f.offers.total
    assert (total["accepted"], total["declined"], total["no_answer"]) == (3, 1, 1)
    assert (total["withdrawn"], total["open"]) == (1, 1)
    assert f.offers.rate(total, "accepted") == 3 / 5
    per = dict(f.offers.by_doctor)
    assert per["DR-GM-1"]["accepted"] == 2 and per["DR-GM-1"]["declined"] == 1
    assert per["DR-GM-2"]["no_answer"] == 1  # c9's miss is outside the period
    assert dict(f.sms) == {"delivered": 2, "undelivered": 1, "failed": 2, "pending": 2}


def test_a_block_filter_keeps_only_that_blocks_hwcs(db: Session) -> None:
    pothia = db.scalars(select(Block.id).where(Block.name == "Pothia")).one()
    f = figures(db, Period(WEEK.first, WEEK.last, pothia))
    assert f.volume.total == 2
    assert f.outcomes["unreachable"] == 1 and f.outcomes["callback"] == 1
    assert f.outcomes["completed"] == 0 and f.wait_p50_s is None
    assert dict(f.sms) == {"delivered": 0, "undelivered": 0, "failed": 2, "pending": 2}


def test_the_monthly_report_has_every_hwc_then_its_hubs_total(db: Session) -> None:
    report = monthly_report(db, "2026-11")
    table = [row.values() for row in report.rows]
    keyed = {(r[0], r[1], r[3]): dict(zip(HEADER, r, strict=True)) for r in table}
    hwc1 = keyed[("hwc", "Sadar Hospital Kishanganj", "HWC-001")]
    assert hwc1["consultations"] == 5  # c9 (8 Nov) is in the month
    assert hwc1["completed"] == 3 and hwc1["prescribed"] == 1
    assert hwc1["wait_p50_min"] == "15.0"
    hub = keyed[("hub", "Sadar Hospital Kishanganj", "")]
    assert hub["consultations"] == 5 + 3  # HWC-001 and HWC-002
    assert keyed[("hub", "Medical College Kishanganj", "")]["consultations"] == 3  # c11 too
    total = keyed[("district", "", "")]
    assert total["consultations"] == 12 and total["abandoned"] == 3  # c9: closed, no doctor
    assert [r[0] for r in table][-1] == "district"
    csv_text = to_csv(report)
    assert csv_text.splitlines()[0] == ",".join(HEADER)
    assert len(csv_text.splitlines()) == len(table) + 1
    assert monthly_report(db, "2026-10").rows[-1].counts["consultations"] == 0


def test_a_month_must_be_one() -> None:
    assert parse_month("2026-11").first == date(2026, 11, 1)
    assert parse_month("2026-12").last == date(2026, 12, 31)
    for bad in ("2026-13", "11-2026", "2026-1", ""):
        with pytest.raises(ValueError):
            parse_month(bad)


def test_rosters_on_duty_now_and_the_weeks_gaps(db: Session) -> None:
    now = datetime(2026, 11, 16, 10, 0, tzinfo=IST)  # a Monday
    window = CallWindow.of("08:00-20:00")
    assert gap_hours(roster_gaps(db, now, window)) == {}  # everybody is on all week
    assert len(on_duty(db, now)) == 5 + 4
    dermatologist = db.scalars(select(Staff).where(Staff.code == "DR-DM-1")).one()
    dermatologist.active = False
    anm = db.scalars(select(Staff).where(Staff.code == "ANM-004")).one()
    anm.rosters = [Roster(weekday=1, starts=datetime(2026, 1, 1, 9).time(), ends=(
        datetime(2026, 1, 1, 13).time()))]  # fmt: skip
    db.flush()
    hours = gap_hours(roster_gaps(db, now, window))
    assert hours[("doctor", "dermatology")] == 7 * 24  # the hub offers it; nobody is on
    assert hours[("anm", "HWC-003")] == 7 * 12 - 4  # Tuesday 09-13 covered
    assert ("anm", "HWC-001") not in hours
    assert {p.code for p in on_duty(db, now)} >= {"DR-GM-1", "ANM-001"}
    assert "ANM-004" not in {p.code for p in on_duty(db, now)}
