"""The ORM guard: an issued prescription and its items never change.

A ``before_flush`` listener on every Session refuses an update or delete of a stored
``Prescription`` or ``PrescriptionItem``, and a new item added to a stored prescription.
The one change allowed is setting ``superseded_at`` once (a correction supersedes it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from models import Prescription, PrescriptionItem

#: The only column of an issued prescription that may be written, and only from NULL.
MUTABLE_ONCE = "superseded_at"


class ImmutablePrescription(RuntimeError):
    """An attempt to change an issued prescription."""


def _changed_columns(obj: Any) -> list[str]:
    state = inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    ]


def _check_prescription(rx: Prescription) -> None:
    changed = _changed_columns(rx)
    others = [c for c in changed if c != MUTABLE_ONCE]
    if others:
        raise ImmutablePrescription(
            f"prescription {rx.code} is issued and cannot be changed ({', '.join(others)}); "
            "issue a correction instead"
        )
    if MUTABLE_ONCE in changed:
        before = inspect(rx).attrs[MUTABLE_ONCE].history.deleted
        if any(v is not None for v in before) or rx.superseded_at is None:
            raise ImmutablePrescription(
                f"prescription {rx.code}: superseded_at is set once and never cleared"
            )


def guard_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Raise ``ImmutablePrescription`` if this flush would change an issued prescription."""
    for obj in session.dirty:
        if isinstance(obj, Prescription):
            _check_prescription(obj)
        elif isinstance(obj, PrescriptionItem) and _changed_columns(obj):
            raise ImmutablePrescription(
                f"prescription item {obj.id} is issued and cannot be changed"
            )
    for obj in session.deleted:
        if isinstance(obj, Prescription | PrescriptionItem):
            raise ImmutablePrescription("an issued prescription is kept: it cannot be deleted")
    for obj in session.new:
        if isinstance(obj, PrescriptionItem):
            parent = obj.prescription
            if parent is None and obj.prescription_id is not None:
                parent = session.get(Prescription, obj.prescription_id)
            if parent is not None and inspect(parent).persistent:
                raise ImmutablePrescription(
                    f"prescription {parent.code} is issued: no medicine can be added"
                )


def guard_bulk(orm_execute_state: ORMExecuteState) -> None:
    """Refuse a bulk UPDATE or DELETE that targets prescriptions or their items."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    guarded = {Prescription.__mapper__, PrescriptionItem.__mapper__}
    if any(m in guarded for m in orm_execute_state.all_mappers):
        raise ImmutablePrescription("issued prescriptions cannot be changed by a bulk statement")


def install() -> None:
    """Listen on every Session (idempotent)."""
    if not event.contains(Session, "before_flush", guard_flush):
        event.listen(Session, "before_flush", guard_flush)
    if not event.contains(Session, "do_orm_execute", guard_bulk):
        event.listen(Session, "do_orm_execute", guard_bulk)
