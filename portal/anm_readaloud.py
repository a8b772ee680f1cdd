""" "Read it aloud to the patient in front of me": the prescription's read-aloud call.

The button starts the same read-aloud call as the SMS fallback
(``prescriptions.calls.schedule_readout`` -> ``place_readout_call``: one ``CallLeg`` per
purpose key ``rx:<code>:readout:<attempt>``, the one-call-per-number guard, the call
window). Each press is its own attempt: the page carries the next attempt number (after
every read-aloud leg of this prescription; attempt 1 stays the SMS fallback's), and a
Redis ``SET NX`` on (prescription, attempt) lets only the first post of that form enqueue
the call. A double tap, a re-sent form or the back button therefore queues one call; a
press after that call was placed is a new attempt, a new call.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock as wclock
from core.runtime import current_runtime
from models import CallLeg, Prescription, StaffRole
from portal.anm_scope import load_prescription_for_anm
from portal.blueprint import audit, bp, get_db, roles_required
from portal.labels import when
from prescriptions.calls import next_window_opening, readout_purpose, schedule_readout

log = logging.getLogger(__name__)
#: How long a press is remembered (a form older than this may queue its call again).
CLICK_TTL = timedelta(days=1)


@dataclass
class ReadAloudState:
    """What the button posts, and whether that call is already on its way."""

    attempt: int
    queued: bool
    waits_until: datetime | None


def _click_key(rx: Prescription, attempt: int) -> str:
    prefix = current_runtime().settings.queue_prefix
    return f"{prefix}:portal:anm-readout:{rx.id}:{attempt}"


def next_attempt(db: Session, rx: Prescription) -> int:
    """The attempt after every read-aloud call of ``rx`` so far (at least 2)."""
    prefix = readout_purpose(rx.code, 0)[:-1]  # "rx:<code>:readout:"
    purposes = db.scalars(select(CallLeg.purpose).where(CallLeg.purpose.startswith(prefix)))
    attempts = [int(p[len(prefix) :]) for p in purposes if p and p[len(prefix) :].isdigit()]
    return max([1, *attempts]) + 1


def readaloud_state(db: Session, rx: Prescription) -> ReadAloudState:
    """The button's attempt number; whether it was pressed already; the window's opening."""
    attempt = next_attempt(db, rx)
    try:
        queued = bool(current_runtime().redis.exists(_click_key(rx, attempt)))
    except RedisError:  # the page still opens; the press says so if the queue is down
        queued = False
    return ReadAloudState(attempt, queued, next_window_opening(wclock.now()))


@bp.post("/anm/prescriptions/<code>/read-aloud")
@roles_required(StaffRole.ANM)
def anm_read_aloud(code: str) -> ResponseReturnValue:
    """Call the patient's phone and read the prescription (one call per press)."""
    db = get_db()
    rx = load_prescription_for_anm(db, code, "read_aloud")
    back = redirect(url_for("portal.anm_prescription", code=rx.code))
    if not rx.is_current:
        flash(gettext("This prescription was replaced by a correction."), "err")
        return back
    try:
        attempt = int(request.form.get("attempt", ""))
    except ValueError:
        attempt = 0
    expected = next_attempt(db, rx)
    if attempt < 2 or attempt > expected:
        flash(gettext("The form expired. Please try again."), "err")
        return back
    runtime = current_runtime()
    key = _click_key(rx, attempt)
    try:
        first = attempt == expected and runtime.redis.set(
            key, "1", nx=True, ex=int(CLICK_TTL.total_seconds())
        )
        if first:
            try:
                schedule_readout(runtime, rx.id, attempt)
            except RedisError:
                with contextlib.suppress(RedisError):  # so that pressing again works
                    runtime.redis.delete(key)
                raise
    except RedisError:  # the queue is down: nothing was asked, so she may press again
        log.exception("read-aloud not queued", extra={"code": rx.code, "attempt": attempt})
        flash(
            gettext("The call could not be started just now. Please press again in a minute."),
            "err",
        )
        return back
    if not first:
        flash(gettext("The call for this press is already on its way."), "ok")
        return back
    audit(db, "read_aloud_requested", "prescription", rx.id, code=rx.code, attempt=attempt)
    db.commit()
    opening = next_window_opening(wclock.now())
    if opening is None:
        flash(gettext("Calling the patient's phone now."), "ok")
    else:
        waits = gettext("Outside the call hours: the call waits until %(at)s.", at=when(opening))
        flash(waits, "ok")
    return back
