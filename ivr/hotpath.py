"""The per-answer database work on PostgreSQL, in two statements.

Each answer webhook does one ``SELECT`` (the call's session) and one write: a
single statement whose data-modifying CTEs upsert the answers, update the
consultation and the patient, and move the session on. It is sent as plain SQL
(``exec_driver_sql``) so that no statement is built or compiled per request.
Column names come only from the whitelists below, never from the request.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

CONSULTATION_COLUMNS = frozenset(
    {
        "language",
        "consent",
        "spoke_id",
        "complaint",
        "days",
        "recording_url",
        "recording_sid",
        "danger_signs",
        "emergency",
        "priority",
    }
)
PATIENT_COLUMNS = frozenset({"name_recording_url", "age_years", "sex", "preferred_language"})
JSON_COLUMNS = frozenset({"danger_signs"})

SELECT_CALL = (
    "SELECT id, consultation_id, caller, status, node, language, retries, errors, vars, "
    "updated_at FROM ivr_sessions WHERE call_sid = %(sid)s"
)


def select_call(s: Session, call_sid: str) -> Any:
    """The session row of ``call_sid`` (or None)."""
    return s.connection().exec_driver_sql(SELECT_CALL, {"sid": call_sid}).first()


def _set_clause(
    prefix: str, values: dict[str, Any], allowed: frozenset[str], params: dict[str, Any]
) -> str:
    parts = []
    for column, value in values.items():
        if column not in allowed:
            raise ValueError(f"column {column!r} may not be written by the IVR")
        key = f"{prefix}_{column}"
        if column in JSON_COLUMNS:
            params[key] = json.dumps(value)
            parts.append(f"{column} = %({key})s::json")
        else:
            params[key] = value
            parts.append(f"{column} = %({key})s")
    return ", ".join(parts)


def build_write(
    *,
    session_id: int,
    consultation_id: int | None,
    answers: dict[str, str],
    consultation: dict[str, Any],
    patient_id: int | None,
    patient: dict[str, Any],
    caller_id: int | None,
    caller: dict[str, Any],
    session: dict[str, Any],
    guard: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The one statement storing an answer and moving the call on.

    With ``guard`` (the node and ``updated_at`` the answer was read at) the
    statement is a compare-and-set that needs no transaction around it: the
    session row moves only if nobody moved it meanwhile, every other write
    happens only if it did, and the statement returns 1 (applied) or 0.
    """
    params: dict[str, Any] = {"sid_row": session_id, "cid": consultation_id}
    applied = "EXISTS (SELECT 1 FROM s)" if guard else "TRUE"
    ctes: list[str] = []
    params.update(
        node=session["node"],
        lang=session["language"],
        retries=session["retries"],
        errors=session["errors"],
        vars=json.dumps(session["vars"]),
        status=session["status"],
    )
    move = (
        "UPDATE ivr_sessions SET node = %(node)s, language = %(lang)s, retries = %(retries)s, "
        "errors = %(errors)s, vars = %(vars)s::json, status = %(status)s, updated_at = now() "
        "WHERE id = %(sid_row)s"
    )
    if guard:
        params.update(seen_node=guard["node"], seen_at=guard["updated_at"])
        ctes.append(
            f"s AS ({move} AND node = %(seen_node)s AND updated_at = %(seen_at)s RETURNING id)"
        )
    if answers and consultation_id is not None:
        rows = []
        for n, (question, value) in enumerate(answers.items()):
            params[f"q{n}"], params[f"v{n}"] = question, value
            rows.append(f"(%(q{n})s, %(v{n})s)")
        ctes.append(
            "a AS (INSERT INTO intake_answers (consultation_id, question, value, answered_at) "
            f"SELECT %(cid)s, x.q, x.v, now() FROM (VALUES {', '.join(rows)}) AS x(q, v) "
            f"WHERE {applied} ON CONFLICT (consultation_id, question) DO UPDATE "
            "SET value = EXCLUDED.value, answered_at = EXCLUDED.answered_at)"
        )
    if consultation and consultation_id is not None:
        sets = _set_clause("c", consultation, CONSULTATION_COLUMNS, params)
        ctes.append(f"c AS (UPDATE consultations SET {sets} WHERE id = %(cid)s AND {applied})")
    if caller and caller_id is not None and caller_id == patient_id:
        patient, caller = {**caller, **patient}, {}
    if patient and patient_id is not None:
        params["pid"] = patient_id
        sets = _set_clause("p", patient, PATIENT_COLUMNS, params)
        ctes.append(
            f"p AS (UPDATE patients SET {sets}, updated_at = now() "
            f"WHERE id = %(pid)s AND {applied})"
        )
    if caller and caller_id is not None:
        params["kid"] = caller_id
        sets = _set_clause("k", caller, PATIENT_COLUMNS, params)
        ctes.append(f"k AS (UPDATE patients SET {sets} WHERE id = %(kid)s AND {applied})")
    final = "SELECT count(*) FROM s" if guard else move
    return (f"WITH {', '.join(ctes)} " if ctes else "") + final, params


def write_step(s: Session, **parts: Any) -> None:
    """Store one answer and move the call on, inside the caller's transaction."""
    sql, params = build_write(**parts)
    s.connection().exec_driver_sql(sql, params)
