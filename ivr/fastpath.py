"""The fast path for an ordinary answer (most webhooks of a call) on PostgreSQL.

Two statements on the thread's own connection, no transaction block, no ORM: the
session ``SELECT``, then one compare-and-set write that commits by itself: the rows
``ivr.writes.plan_step`` decides (the full path's decision too), as the statement of
``ivr.hotpath.statement`` with a guard. Anything unusual - a step that links a
patient, looks up a spoke, reaches an outcome, a stale or ended call, a lost race,
a replay - returns None and the full transactional path (``ivr.calls``) handles it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from psycopg import OperationalError
from twilio.twiml.voice_response import VoiceResponse

from core.runtime import Runtime
from ivr.engine import CallState, Engine, Input, SpokeInfo
from ivr.hotpath import SELECT_CALL, statement
from ivr.rawpg import RawStatements, Timestamp, Unsupported
from ivr.writes import plan_step
from models.ivr import SessionStatus

log = logging.getLogger(__name__)


class NeedsFullPath(Exception):
    """This answer needs the database beyond the call's own rows."""


class _NoLookups:
    def spoke_by_code(self, code: str) -> SpokeInfo | None:
        raise NeedsFullPath


_held = threading.local()
_ACTIVE = SessionStatus.ACTIVE.encode()


def _connection(runtime: Runtime, asynchronous_commit: bool) -> RawStatements:
    """This thread's own connection for the fast path, kept between requests.

    Taken once from the runtime's pool (so it was pinged), then detached from it
    and kept in autocommit mode: no checkout, ping or BEGIN/COMMIT per answer. Being
    detached, it never goes back to the pool - not even when a short-lived request
    thread ends and its thread-locals are collected - so no ORM session is ever handed
    a connection left in autocommit. A different engine (e.g. after a
    reconfiguration) or any error replaces it.
    """
    engine = runtime.db.engine
    if getattr(_held, "engine", None) is not engine or _held.connection is None:
        _drop()
        fairy = engine.raw_connection()
        connection: Any = fairy.driver_connection
        fairy.detach()  # closed with its thread, never returned to the pool
        connection.autocommit = True
        if asynchronous_commit:  # see IvrConfig.fast_commit: this connection only
            connection.execute("SET synchronous_commit = off")
        _held.engine, _held.connection = engine, connection
        _held.raw = RawStatements(connection)
    return _held.raw


def _drop() -> None:
    connection = getattr(_held, "connection", None)
    _held.engine, _held.connection, _held.raw = None, None, None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            log.debug("could not close the fast-path connection", exc_info=True)


def _int(value: bytes | None) -> int | None:
    return int(value) if value is not None else None


def _text(value: bytes | None) -> str:
    return value.decode() if value is not None else ""


def try_fast_step(
    runtime: Runtime, engine: Engine, form: Mapping[str, str], args: Mapping[str, str]
) -> VoiceResponse | str | None:
    """Answer an ordinary step in two statements, or None to take the full path."""
    if args.get("replay") == "1" or runtime.db.engine.dialect.name != "postgresql":
        return None
    for attempt in (1, 2):
        try:
            raw = _connection(runtime, engine.config.fast_commit == "async")
            return _step(raw, engine, form, args)
        except OperationalError:
            # A connection that went stale (database restarted): one retry on a fresh one
            # is safe because the write is a compare-and-set.
            _drop()
            if attempt == 2:
                raise
        except Exception:
            _drop()
            raise
    return None


def _step(
    raw: RawStatements,
    engine: Engine,
    form: Mapping[str, str],
    args: Mapping[str, str],
) -> str | None:
    rows = raw.run(SELECT_CALL, {"sid": form.get("CallSid", "")})
    if not rows:
        return None
    row = rows[0]
    if row[3] != _ACTIVE:
        return None
    session_id, consultation_id = int(row[0] or 0), _int(row[1])
    node, language = _text(row[4]), _text(row[5])
    retries, errors = _int(row[6]) or 0, _int(row[7]) or 0
    variables = json.loads(row[8].decode()) if row[8] is not None else {}
    updated_at = Timestamp(row[9] or b"")
    state = CallState(node, language, retries, errors, dict(variables or {}))
    if args.get("n") != state.step_id:
        return None
    given = Input(
        digits=form.get("Digits"),
        recording_url=form.get("RecordingUrl"),
        recording_sid=form.get("RecordingSid"),
    )
    try:
        answered = engine.answer(state, given, _NoLookups())
    except NeedsFullPath:
        return None
    effects = answered.effects
    if engine.enter(state, answered.goto, answered.before, repeat=answered.repeat):
        return None  # a final node: the full path records the outcome
    if engine.needs_full_path(state, effects):
        return None
    try:
        plan = plan_step(session_id, consultation_id, state, effects, SessionStatus.ACTIVE)
    except ValueError:  # a column the IVR may not write: the full path says so
        return None
    sql, params = statement(plan, guard={"node": node, "updated_at": updated_at})
    try:
        applied = raw.run(sql, params)[0][0] == b"1"
    except Unsupported:  # nothing was written: the full path stores any value
        log.warning("IVR fast path cannot send this answer; taking the full path")
        return None
    if not applied:
        log.info("IVR step raced another request; taking the full path")
        return None
    return engine.render_text(state, answered.before)
