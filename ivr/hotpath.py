"""The one reader and the executors of an IVR step (``ivr.writes.StepWrite``).

Each answer webhook does one ``SELECT`` (the call's session: ``SELECT_CALL``, the same
text on every path) and one write, as ``ivr.writes.plan_step`` decided it. On
PostgreSQL the write is a single statement whose data-modifying CTEs upsert the
answers, update the consultation and the patients, and move the session on
(``statement``): the fast path sends it through libpq with a compare-and-set guard,
the full path through the ORM session's connection. It is sent as plain SQL
(``exec_driver_sql``) so that no statement is built or compiled per request. SQLite
has no data-modifying CTEs: ``write_portable`` executes the same plan in a few Core
statements (``make demo``). Column names come only from the plan, which allows only
``ivr.writes``' whitelists, never from the request.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from ivr.writes import CONSULTATION_COLUMNS, JSON_COLUMNS, PATIENT_COLUMNS, StepWrite
from models import Consultation, IntakeAnswer, IvrSession, Patient

_WRITABLE = CONSULTATION_COLUMNS | PATIENT_COLUMNS
_SESSIONS: Table = IvrSession.__table__  # type: ignore[assignment]
_COLUMNS = "id, consultation_id, caller, status, node, language, retries, errors, vars, updated_at"
#: The session read of every path (psycopg's ``%(name)s`` placeholder).
SELECT_CALL = f"SELECT {_COLUMNS} FROM ivr_sessions WHERE call_sid = %(sid)s"
_SELECT_CALL_NAMED = f"SELECT {_COLUMNS} FROM ivr_sessions WHERE call_sid = :sid"


def select_call(s: Session, call_sid: str) -> Any:
    """The session row of ``call_sid`` (or None); decode ``vars`` with ``call_vars``."""
    connection = s.connection()
    pyformat = connection.dialect.paramstyle == "pyformat"  # psycopg; sqlite3 takes :name
    sql = SELECT_CALL if pyformat else _SELECT_CALL_NAMED
    return connection.exec_driver_sql(sql, {"sid": call_sid}).first()


def call_vars(value: Any) -> dict[str, Any]:
    """The session's ``vars`` as read by ``SELECT_CALL`` (SQLite gives the JSON as text)."""
    return dict(json.loads(value) if isinstance(value, str) else value or {})


def statement(plan: StepWrite, guard: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The one PostgreSQL statement executing ``plan``, and its parameters.

    With ``guard`` (the node and ``updated_at`` the answer was read at) the
    statement is a compare-and-set that needs no transaction around it: the
    session row moves only if nobody moved it meanwhile, every other write
    happens only if it did, and the statement returns 1 (applied) or 0. The text
    depends only on the plan's shape (which columns, how many answers), so it is
    built once per shape.
    """
    session = plan.session
    params: dict[str, Any] = {
        "sid_row": plan.session_id,
        "cid": plan.consultation_id,
        "node": session["node"],
        "lang": session["language"],
        "retries": session["retries"],
        "errors": session["errors"],
        "vars": _json(session["vars"]),
        "status": session["status"],
    }
    if guard:
        params["seen_node"], params["seen_at"] = guard["node"], guard["updated_at"]
    for n, (question, value) in enumerate(plan.answers.items()):
        params[f"q{n}"], params[f"v{n}"] = question, value
    _columns("c", plan.consultation, params)
    for n, patient in enumerate(plan.patients):
        params[f"pid{n}"] = patient.id
        _columns(f"p{n}", patient.columns, params)
    patients = tuple([(tuple(p.columns), p.touch) for p in plan.patients])
    return _sql(bool(guard), len(plan.answers), tuple(plan.consultation), patients), params


def _columns(prefix: str, values: dict[str, Any], params: dict[str, Any]) -> None:
    for column, value in values.items():
        params[f"{prefix}_{column}"] = _json(value) if column in JSON_COLUMNS else value


#: ``json.dumps`` without the check for circular references (a plan's values come from
#: JSON or the flow: never circular), measurably cheaper on the hot path.
_json = json.JSONEncoder(check_circular=False).encode

_MOVE = (
    "UPDATE ivr_sessions SET node = %(node)s, language = %(lang)s, retries = %(retries)s, "
    "errors = %(errors)s, vars = %(vars)s::json, status = %(status)s, updated_at = now() "
    "WHERE id = %(sid_row)s"
)


@functools.lru_cache(maxsize=1024)
def _sql(
    guarded: bool,
    answers: int,
    consultation: tuple[str, ...],
    patients: tuple[tuple[tuple[str, ...], bool], ...],
) -> str:
    """The statement's text for one shape of plan (see ``statement``)."""
    applied = "EXISTS (SELECT 1 FROM s)" if guarded else "TRUE"
    ctes: list[str] = []
    if guarded:
        ctes.append(
            f"s AS ({_MOVE} AND node = %(seen_node)s AND updated_at = %(seen_at)s RETURNING id)"
        )
    if answers:
        rows = ", ".join(f"(%(q{n})s, %(v{n})s)" for n in range(answers))
        ctes.append(
            "a AS (INSERT INTO intake_answers (consultation_id, question, value, answered_at) "
            f"SELECT %(cid)s, x.q, x.v, now() FROM (VALUES {rows}) AS x(q, v) "
            f"WHERE {applied} ON CONFLICT (consultation_id, question) DO UPDATE "
            "SET value = EXCLUDED.value, answered_at = EXCLUDED.answered_at)"
        )
    if consultation:
        sets = _set_clause("c", consultation)
        ctes.append(f"c AS (UPDATE consultations SET {sets} WHERE id = %(cid)s AND {applied})")
    for n, (columns, touch) in enumerate(patients):
        sets = _set_clause(f"p{n}", columns) + (", updated_at = now()" if touch else "")
        ctes.append(f"p{n} AS (UPDATE patients SET {sets} WHERE id = %(pid{n})s AND {applied})")
    final = "SELECT count(*) FROM s" if guarded else _MOVE
    return (f"WITH {', '.join(ctes)} " if ctes else "") + final


def _set_clause(prefix: str, columns: tuple[str, ...]) -> str:
    parts = []
    for column in columns:
        if column not in _WRITABLE:  # the plan checked; a column name is never a parameter
            raise ValueError(f"column {column!r} may not be written by the IVR")
        cast = "::json" if column in JSON_COLUMNS else ""
        parts.append(f"{column} = %({prefix}_{column})s{cast}")
    return ", ".join(parts)


def write(s: Session, plan: StepWrite) -> None:
    """Execute ``plan`` inside the session's transaction (the full path)."""
    if s.get_bind().dialect.name == "postgresql":
        sql, params = statement(plan)
        s.connection().exec_driver_sql(sql, params)
    else:
        write_portable(s, plan)


def write_portable(s: Session, plan: StepWrite) -> None:
    """Execute ``plan`` with Core statements (SQLite: no data-modifying CTEs)."""
    now = utcnow()
    if plan.answers:
        rows = [
            {"consultation_id": plan.consultation_id, "question": q, "value": v, "answered_at": now}
            for q, v in plan.answers.items()
        ]
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(IntakeAnswer.__table__).values(rows)
        s.execute(
            insert.on_conflict_do_update(
                index_elements=["consultation_id", "question"],
                set_={"value": insert.excluded.value, "answered_at": insert.excluded.answered_at},
            )
        )
    if plan.consultation:
        consultation = update(Consultation).where(Consultation.id == plan.consultation_id)
        s.execute(consultation.values(**plan.consultation))
    for patient in plan.patients:
        values = {**patient.columns, **({"updated_at": now} if patient.touch else {})}
        s.execute(update(Patient).where(Patient.id == patient.id).values(**values))
    values = {**plan.session, "updated_at": now}
    s.execute(update(_SESSIONS).where(_SESSIONS.c.id == plan.session_id).values(**values))
