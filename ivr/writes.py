"""What one IVR step writes, decided once.

``plan_step`` is pure: from where the call now stands and what the answer changes, it
says which rows change and how (a ``StepWrite``). Every backend only executes that plan:
the fast path (``ivr.fastpath``, the statement of ``ivr.hotpath`` through libpq), the
full path on PostgreSQL (the same statement through the ORM session's connection) and
the full path on SQLite (``ivr.hotpath.write_portable``, a few Core statements). No
backend decides anything of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr.state import CallState, Effects

#: The columns an answer may write (nothing else is ever written, whatever the request).
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


@dataclass(slots=True)
class PatientWrite:
    """Columns of one ``patients`` row; ``touch``: ``updated_at`` is stamped too."""

    id: int
    columns: dict[str, Any]
    touch: bool


@dataclass(slots=True)
class StepWrite:
    """Every row one step changes: answers, the consultation, patients, the session."""

    session_id: int
    consultation_id: int | None
    answers: dict[str, str]  # question -> value (upserted; none without a consultation)
    consultation: dict[str, Any]  # column -> value (none without a consultation)
    patients: tuple[PatientWrite, ...]
    session: dict[str, Any]  # node, language, retries, errors, vars, status


def plan_step(
    session_id: int,
    consultation_id: int | None,
    state: CallState,
    effects: Effects,
    status: str,
) -> StepWrite:
    """The rows the step writes (pure). Raises ValueError for a column not allowed.

    A danger sign joins the call's list of signs and makes the consultation an
    emergency of the highest priority. The caller's own row and the call's patient
    being the same row, their columns are one write (the patient's answer wins).
    """
    variables = state.vars
    consultation = effects.consultation  # read only: a plan never changes what it is given
    if effects.danger_sign:
        signs = [*variables.get("danger_signs", []), effects.danger_sign]
        variables = {**variables, "danger_signs": signs}
        consultation = {**consultation, "danger_signs": signs, "emergency": True, "priority": 0}
    _allowed(consultation, CONSULTATION_COLUMNS)
    patient_id, caller_id = variables.get("patient_id"), variables.get("caller_patient_id")
    patient, caller = effects.patient, effects.caller
    if caller and caller_id is not None and caller_id == patient_id:
        patient, caller = {**caller, **patient}, {}
    patients = []
    if patient and patient_id is not None:
        patients.append(PatientWrite(patient_id, _allowed(patient, PATIENT_COLUMNS), True))
    if caller and caller_id is not None:
        patients.append(PatientWrite(caller_id, _allowed(caller, PATIENT_COLUMNS), False))
    with_consultation = consultation_id is not None
    return StepWrite(
        session_id=session_id,
        consultation_id=consultation_id,
        answers=effects.answers if with_consultation else {},
        consultation=consultation if with_consultation else {},
        patients=tuple(patients),
        session={
            "node": state.node,
            "language": state.language,
            "retries": state.retries,
            "errors": state.errors,
            "vars": variables,
            "status": status,
        },
    )


def _allowed(values: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    if not values.keys() <= allowed:
        raise ValueError(f"columns {sorted(values.keys() - allowed)} may not be written by the IVR")
    return values
