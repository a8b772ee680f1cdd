"""Dead sign-in sessions and stale login throttles go in the hourly sweep; live ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.runtime import Runtime
from models import LoginThrottle, PortalSession
from ops.sweeper import sweep
from tests.portal.conftest import DOCTOR, Seeded

HOUR = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def _session(staff_id: int, token: str, **times: datetime | None) -> PortalSession:
    return PortalSession(token_hash=token.ljust(64, "0"), staff_id=staff_id, **times)


def test_the_hourly_sweep_deletes_what_can_never_be_used_again(
    runtime: Runtime, seeded: Seeded
) -> None:
    now = HOUR
    doctor = seeded.staff_ids[DOCTOR]
    with runtime.db.session() as s:
        s.add_all(
            [
                _session(doctor, "live", last_seen_at=now - timedelta(minutes=5),
                         expires_at=now + timedelta(hours=6)),
                _session(doctor, "expired", last_seen_at=now - timedelta(days=2),
                         expires_at=now - timedelta(days=2)),
                _session(doctor, "revoked", last_seen_at=now - timedelta(days=3),
                         expires_at=now + timedelta(hours=1), revoked_at=now - timedelta(days=3)),
                _session(doctor, "idle", last_seen_at=now - timedelta(days=2),
                         expires_at=now + timedelta(hours=1)),
                _session(doctor, "justgone", last_seen_at=now - timedelta(hours=2),
                         expires_at=now - timedelta(hours=1)),
                LoginThrottle(key="staff:1", failures=5, last_failure_at=now - timedelta(minutes=3),
                              locked_until=now + timedelta(minutes=12)),
                LoginThrottle(key="ip:10.0.0.9", failures=2,
                              last_failure_at=now - timedelta(days=3)),
            ]
        )  # fmt: skip
    counts = sweep(runtime, now)
    assert counts["portal_sessions"] == 3
    assert counts["login_throttles"] == 1
    with runtime.db.session() as s:
        left = {row.token_hash.rstrip("0") for row in s.scalars(select(PortalSession))}
        keys = set(s.scalars(select(LoginThrottle.key)))
    # the session still in use, and the one that ended an hour ago (kept a day, so the
    # browser turned away is still told why)
    assert left == {"live", "justgone"}
    assert keys == {"staff:1"}  # locked now: kept


def test_other_minutes_leave_them_alone(runtime: Runtime, seeded: Seeded) -> None:
    now = HOUR + timedelta(minutes=7)
    with runtime.db.session() as s:
        s.add(_session(seeded.staff_ids[DOCTOR], "expired", last_seen_at=now - timedelta(days=2),
                       expires_at=now - timedelta(days=2)))  # fmt: skip
    counts = sweep(runtime, now)
    assert "portal_sessions" not in counts
    with runtime.db.session() as s:
        assert s.scalar(select(PortalSession.id)) is not None
