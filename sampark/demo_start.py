"""What ``make demo`` does and says before its patients call.

It tells the truth about the district it loaded (in words, not a Python repr), prints
the doctors' portal logins with their password, and starts clean: an earlier run's
consultations that were still going when it was stopped (their phones went with that
run's local Twilio) are cancelled and their calls marked ended, so that no doctor is
left "busy" and no ANM's or patient's line is held by a call that no longer exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from core.runtime import Runtime
from models import (
    TERMINAL_STATES,
    CallLeg,
    Consultation,
    ConsultationState,
    District,
    Hub,
    Spoke,
    Staff,
    StaffRole,
)
from models.consultation import TRANSITIONS
from models.telephony import LegStatus
from sampark.registry import ImportReport, registry_stats

S = ConsultationState
#: A leg whose call is over (any other status is a call the old stand-in took with it).
ENDED_LEG = (
    LegStatus.COMPLETED,
    LegStatus.BUSY,
    LegStatus.NO_ANSWER,
    LegStatus.FAILED,
    LegStatus.CANCELED,
    LegStatus.LOST,
)
#: Left as they are: the doctor can still prescribe, or nothing more happens.
KEPT = frozenset({S.AWAITING_PRESCRIPTION, S.PRESCRIBED, S.UNREACHABLE}) | TERMINAL_STATES
DEMO_SPECIALTY = "general_medicine"  # the scripted patients' fever


@dataclass(frozen=True)
class CleanStart:
    """What :func:`close_earlier_run` did."""

    cancelled: list[str]  # consultation references
    legs_ended: int
    doctors_made_available: int

    def text(self) -> str | None:
        if not (self.cancelled or self.legs_ended or self.doctors_made_available):
            return None
        parts = []
        if self.cancelled:
            parts.append(
                f"{len(self.cancelled)} unfinished consultation(s) cancelled "
                f"({', '.join(self.cancelled)})"
            )
        if self.legs_ended:
            parts.append(f"{self.legs_ended} call(s) marked ended")
        if self.doctors_made_available:
            parts.append(f"{self.doctors_made_available} doctor(s) made available again")
        return "earlier run: " + "; ".join(parts)


def close_earlier_run(runtime: Runtime) -> CleanStart:
    """Cancel an earlier run's consultations in progress, end its calls, free its doctors."""
    with runtime.db.session() as s:
        open_ = s.scalars(
            select(Consultation).where(Consultation.state.not_in(KEPT)).order_by(Consultation.id)
        ).all()
        cancelled = []
        for c in open_:
            if S.CANCELLED in TRANSITIONS[c.state]:
                c.transition(S.CANCELLED, "demo-restarted")
                cancelled.append(c.reference)
        legs: Any = s.execute(
            update(CallLeg)
            .where(CallLeg.status.not_in(ENDED_LEG))
            .values(status=LegStatus.LOST)
            .execution_options(synchronize_session=False)
        )
        doctors: Any = s.execute(
            update(Staff)
            .where(Staff.role == StaffRole.DOCTOR, Staff.available.is_(False))
            .values(available=True)
            .execution_options(synchronize_session=False)
        )
        return CleanStart(cancelled, int(legs.rowcount or 0), int(doctors.rowcount or 0))


def district_summary(runtime: Runtime, report: ImportReport) -> str:
    """One line: the district, what it holds, and whether this run loaded or changed it."""
    with runtime.db.session() as s:
        stats = registry_stats(s)
        name = s.scalar(select(District.name).where(District.code == report.district))
    if sum(report.created.values()):
        what = "loaded now"
    elif sum(report.updated.values()):
        what = "updated from the file"
    else:
        what = "already loaded, unchanged"
    return (
        f"district {name or report.district} ({report.district}): {stats['blocks']} blocks, "
        f"{stats['hubs']} hubs, "
        f"{stats['spokes']} spokes, {stats['anms']} ANMs, {stats['doctors']} doctors ({what})"
    )


def doctor_logins(runtime: Runtime, spoke_names: Iterable[str]) -> list[str]:
    """``CODE  name (hub)`` of the general-medicine doctors at these spokes' hubs."""
    with runtime.db.session() as s:
        hub_ids = set(s.scalars(select(Spoke.hub_id).where(Spoke.name.in_(list(spoke_names)))))
        rows = s.execute(
            select(Staff.code, Staff.name, Staff.mobile, Hub.name)
            .join(Hub, Staff.hub_id == Hub.id)
            .where(
                Staff.role == StaffRole.DOCTOR,
                Staff.active.is_(True),
                Staff.specialty == DEMO_SPECIALTY,
                Staff.hub_id.in_(hub_ids),
            )
            .order_by(Staff.code)
        ).all()
    return [f"{code:<8} {name} ({hub}; or {mobile})" for code, name, mobile, hub in rows]


def other_logins(runtime: Runtime, spoke_names: Iterable[str]) -> list[str]:
    """``CODE  name (role: where; or mobile)`` of the ANMs at these spokes and the
    district admins: the portal's other two roles (their workspace, the dashboard)."""
    with runtime.db.session() as s:
        anms = s.execute(
            select(Staff.code, Staff.name, Staff.mobile, Spoke.name)
            .join(Spoke, Staff.spoke_id == Spoke.id)
            .where(
                Staff.role == StaffRole.ANM,
                Staff.active.is_(True),
                Spoke.name.in_(list(spoke_names)),
            )
            .order_by(Staff.code)
        ).all()
        admins = s.execute(
            select(Staff.code, Staff.name, Staff.mobile)
            .where(Staff.role == StaffRole.DISTRICT_ADMIN, Staff.active.is_(True))
            .order_by(Staff.code)
        ).all()
    return [
        f"{code:<9} {name} (ANM: {spoke}; or {mobile})" for code, name, mobile, spoke in anms
    ] + [f"{code:<9} {name} (district admin; or {mobile})" for code, name, mobile in admins]
