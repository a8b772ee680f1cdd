"""``sampark consultations [--json]``: consultations with what the IVR captured."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import ConsultationState
from sampark.cli import load_settings
from sampark.cli.consultation_detail import details


def consultation_rows(
    session: Session, *, state: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Newest first: spoke, patient, language, answers, danger signs, recording, state;
    then the ANM and the doctor, the state history, calls, SMS and prescriptions."""
    from models import Consultation

    query = (
        select(Consultation)
        .options(
            selectinload(Consultation.answers),
            selectinload(Consultation.spoke),
            selectinload(Consultation.patient),
            selectinload(Consultation.transitions),
            selectinload(Consultation.anm),
            selectinload(Consultation.doctor),
        )
        .order_by(Consultation.id.desc())
        .limit(limit)
    )
    if state:
        query = query.where(Consultation.state == ConsultationState(state))
    rows = []
    page = session.scalars(query).all()
    more = details(session, page)
    for c in page:
        patient = c.patient
        rows.append(
            {
                "id": c.id,
                "reference": c.reference,
                "state": c.state.value,
                "channel": c.channel,
                "caller": c.caller_mobile,
                "spoke": c.spoke.code if c.spoke else None,
                "spoke_short_code": c.spoke.short_code if c.spoke else None,
                "language": c.language,
                "consent": c.consent,
                "patient": None
                if patient is None
                else {
                    "id": patient.id,
                    "mobile": patient.mobile,
                    "relation": patient.relation or "self",
                    "caregiver_id": patient.caregiver_id,
                    "age_years": patient.age_years,
                    "sex": patient.sex,
                    "name_recording_url": patient.name_recording_url,
                },
                "complaint": c.complaint,
                "days": c.days,
                "danger_signs": list(c.danger_signs or []),
                "emergency": c.emergency,
                "recording_url": c.recording_url,
                "recording_sid": c.recording_sid,
                "answers": {a.question: a.value for a in sorted(c.answers, key=lambda a: a.id)},
                "created_at": c.created_at.isoformat() if c.created_at else None,
                "intake_completed_at": c.intake_completed_at.isoformat()
                if c.intake_completed_at
                else None,
                **more[c.id],
            }
        )
    return rows


@click.command("consultations")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one array).")
@click.option(
    "--state",
    type=click.Choice([s.value for s in ConsultationState]),
    default=None,
    help="Only this state, e.g. intake_complete.",
)
@click.option("--limit", default=100, show_default=True, type=int)
def consultations_cmd(as_json: bool, state: str | None, limit: int) -> None:
    """List consultations, newest first, with what the IVR captured."""
    from core.db import Database

    db = Database(load_settings().database_url)
    try:
        with db.session() as session:
            rows = consultation_rows(session, state=state, limit=limit)
    finally:
        db.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        patient = r["patient"] or {}
        click.echo(
            f"{r['reference']}  {r['state']:<16} {r['spoke'] or '-':<8} {r['language']}  "
            f"{patient.get('relation', '-'):<8} age {patient.get('age_years', '-')!s:<4} "
            f"{r['complaint'] or '-':<20} days {r['days'] if r['days'] is not None else '-'!s:<4}"
            f"{' EMERGENCY ' + ','.join(r['danger_signs']) if r['emergency'] else ''}"
        )


COMMANDS = [consultations_cmd]
