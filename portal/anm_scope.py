"""Which patients an ANM may see: her HWC's, and her block's HWCs she covers.

The rule, kept simple on purpose:

* **Her HWC**: consultations of her spoke (``Staff.spoke_id``), and any consultation she
  was the ANM of (``Consultation.anm_id``, e.g. a call from the district line).
* **Cover**: while she is on duty herself, another HWC of her block whose ANMs are none of
  them on duty now (no active ANM there has a roster slot covering this moment, IST); off
  duty she covers no one, so at night no ANM sees the whole block. Its patients are shown in a
  section labelled as cover, and she may open them, dispense and read aloud for them, as
  long as the colleague is off duty. When a colleague comes on duty, the cover ends.

Every refusal (another HWC's consultation) is a 403 with an ``access_denied`` audit row.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, g
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from models import Consultation, Prescription, Spoke, Staff, StaffRole
from portal.blueprint import audit
from prescriptions.service import find_by_code
from workflows.people import on_duty_ids


def covered_spoke_ids(db: Session, anm: Staff, now: datetime | None = None) -> list[int]:
    """The other HWCs of ``anm``'s block that have no ANM on duty ``now`` (sorted ids),
    while she is on duty herself."""
    now = now or utcnow()
    if anm.spoke_id is None or anm.id not in on_duty_ids(db, [anm.id], now):
        return []
    block_id = db.scalar(select(Spoke.block_id).where(Spoke.id == anm.spoke_id))
    others = db.scalars(
        select(Spoke.id).where(Spoke.block_id == block_id, Spoke.id != anm.spoke_id)
    ).all()
    if not others:
        return []
    colleagues = db.execute(
        select(Staff.id, Staff.spoke_id).where(
            Staff.spoke_id.in_(others), Staff.role == StaffRole.ANM, Staff.active.is_(True)
        )
    ).all()
    on_duty = on_duty_ids(db, [sid for sid, _ in colleagues], now)
    staffed = {spoke for sid, spoke in colleagues if sid in on_duty}
    return sorted(set(others) - staffed)


def own_filter(anm: Staff) -> ColumnElement[bool]:
    """Consultations of her own HWC (or where she was the ANM)."""
    if anm.spoke_id is None:
        return Consultation.anm_id == anm.id
    return or_(Consultation.spoke_id == anm.spoke_id, Consultation.anm_id == anm.id)


def may_see(db: Session, anm: Staff, consultation: Consultation) -> bool:
    """Whether ``anm`` may open ``consultation`` (own HWC, or a covered one now)."""
    if consultation.anm_id == anm.id:
        return True
    if consultation.spoke_id is None:
        return False
    if consultation.spoke_id == anm.spoke_id:
        return True
    return consultation.spoke_id in covered_spoke_ids(db, anm)


def is_cover(anm: Staff, consultation: Consultation) -> bool:
    """Whether she sees ``consultation`` only as cover for a colleague's HWC."""
    return consultation.anm_id != anm.id and consultation.spoke_id != anm.spoke_id


def load_for_anm(db: Session, consultation_id: int, action: str) -> Consultation:
    """The consultation if the signed-in ANM may see it; 404, or 403 (audited) otherwise."""
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    if not may_see(db, g.staff, consultation):
        audit(db, "access_denied", "consultation", consultation.id, attempted=action)
        db.commit()
        abort(403)
    return consultation


def load_prescription_for_anm(db: Session, code: str, action: str) -> Prescription:
    """The prescription with ``code`` if its consultation is the ANM's to see (else 404/403)."""
    rx = find_by_code(db, code)
    if rx is None:
        abort(404)
    load_for_anm(db, rx.consultation_id, action)
    return rx
