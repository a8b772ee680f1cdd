"""Issuing a prescription: check everything, copy the TPG identity fields, notify.

``issue_prescription`` is the one way a prescription comes to exist. It raises
``PrescriptionRejected`` listing every problem in plain words, or writes the
prescription, moves the consultation to ``prescribed``, writes the audit log and
queues the SMS in the caller's transaction (delivery is enqueued after commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.logs import request_id_var
from core.runtime import Runtime
from core.timeutil import to_ist, utcnow
from models import (
    AuditEvent,
    Consultation,
    ConsultationState,
    Patient,
    Prescription,
    PrescriptionItem,
    Staff,
)
from prescriptions.codes import (
    ALPHABET,
    CODE_LENGTH,
    keypad_code,
    normalize_code,
    unused_prescription_code,
)
from prescriptions.draft import DraftItem, PrescriptionDraft, check_draft_fields
from prescriptions.identity import (
    PatientIdentity,
    doctor_problems,
    identity_problems,
    patient_identity,
)
from prescriptions.notify import SmsPlan, plan_prescription_sms, queue_prescription_sms
from prescriptions.policy import Policy, mode_for

log = logging.getLogger(__name__)

__all__ = [
    "DraftItem",
    "PrescriptionDraft",
    "PrescriptionRejected",
    "current_prescription",
    "find_by_code",
    "issue_prescription",
    "patient_identity",
    "preview_prescription",
]


#: Where a first prescription may be issued: during the call (a doctor writes while she
#: talks) or after it.
PRESCRIBABLE = frozenset({ConsultationState.IN_CONFERENCE, ConsultationState.AWAITING_PRESCRIPTION})
#: Where a prescription may be corrected: once issued, also while the call still goes on.
CORRECTABLE = frozenset(
    {ConsultationState.IN_CONFERENCE, ConsultationState.PRESCRIBED, ConsultationState.CLOSED}
)


class PrescriptionRejected(ValueError):
    """The draft cannot be issued; ``problems`` says why, one plain sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def current_prescription(session: Session, consultation_id: int) -> Prescription | None:
    """The consultation's prescription that is in force (not superseded), if any."""
    return session.scalar(
        select(Prescription)
        .where(
            Prescription.consultation_id == consultation_id,
            Prescription.superseded_at.is_(None),
        )
        .order_by(Prescription.version.desc())
    )


def find_by_code(session: Session, code: str) -> Prescription | None:
    """The prescription with short code ``code`` (as typed by a person)."""
    return session.scalar(select(Prescription).where(Prescription.code == normalize_code(code)))


def _state_problems(
    session: Session,
    consultation: Consultation,
    replaces_code: str | None,
    correction_reason: str | None,
) -> tuple[list[str], Prescription | None]:
    problems: list[str] = []
    replaced: Prescription | None = None
    current = current_prescription(session, consultation.id)
    if replaces_code is None:
        if current is not None:
            problems.append(
                f"This consultation already has prescription {current.code}: "
                "issue a correction of it instead."
            )
        elif consultation.state not in PRESCRIBABLE:
            problems.append(
                f"The consultation is {consultation.state.value.replace('_', ' ')}, "
                "not in the call or awaiting a prescription."
            )
        return problems, None
    replaced = find_by_code(session, replaces_code)
    if replaced is None or replaced.consultation_id != consultation.id:
        problems.append(f"Prescription {replaces_code} is not one of this consultation's.")
        replaced = None
    elif not replaced.is_current:
        problems.append(
            f"Prescription {replaced.code} was already replaced"
            + (f" by {current.code}" if current else "")
            + ": correct the current one."
        )
    if consultation.state not in CORRECTABLE:
        problems.append(
            f"The consultation is {consultation.state.value.replace('_', ' ')}: "
            "only a prescribed consultation can be corrected."
        )
    if not (correction_reason or "").strip():
        problems.append("Say why the prescription is corrected.")
    return problems, replaced


def _audit(
    session: Session, doctor: Staff, action: str, rx_id: int, detail: dict[str, object]
) -> None:
    session.add(
        AuditEvent(
            actor_staff_id=doctor.id,
            actor=f"staff:{doctor.code}",
            action=action,
            subject_type="prescription",
            subject_id=rx_id,
            request_id=request_id_var.get(None),
            detail=detail,
        )
    )


def _fill_patient_record(patient: Patient | None, who: PatientIdentity) -> None:
    """Keep what the doctor confirmed where the registry had nothing."""
    if patient is None:
        return
    changed = False
    for attr, value in (("name", who.name), ("age_years", who.age), ("sex", who.sex)):
        if getattr(patient, attr) is None and value is not None:
            setattr(patient, attr, value)
            changed = True
    if changed:
        patient.updated_at = utcnow()


@dataclass(frozen=True)
class _Prepared:
    consultation: Consultation
    doctor: Staff
    rx: Prescription  # built, not yet added to the session
    replaced: Prescription | None


def _code(session: Session, wanted: str | None) -> str:
    """``wanted`` (the code the doctor's preview showed) if it is well formed and unused."""
    if (
        wanted
        and len(wanted) == CODE_LENGTH
        and all(ch in ALPHABET for ch in wanted)
        and find_by_code(session, wanted) is None
    ):
        return wanted
    return unused_prescription_code(session)


def _prepare(
    session: Session,
    *,
    consultation_id: int,
    doctor_id: int,
    draft: PrescriptionDraft,
    replaces_code: str | None,
    correction_reason: str | None,
    policy: Policy | None,
    code: str | None,
) -> _Prepared:
    """Check everything and build the prescription (not added to the session)."""
    consultation = session.get(Consultation, consultation_id, with_for_update=True)
    if consultation is None:
        raise PrescriptionRejected([f"Consultation {consultation_id} does not exist."])
    doctor = session.get(Staff, doctor_id)
    now = utcnow()
    today: date = to_ist(now).date()
    mode = mode_for(consultation)
    problems = doctor_problems(doctor, consultation, doctor_id)
    state_problems, replaced = _state_problems(
        session, consultation, replaces_code, correction_reason
    )
    problems += state_problems
    who = patient_identity(consultation, draft)
    problems += identity_problems(who)
    lines = check_draft_fields(draft, mode, policy, today, problems)
    hub = (doctor.hub if doctor else None) or (
        consultation.spoke.hub if consultation.spoke else None
    )
    if doctor is not None and hub is None:
        problems.append("Your hub is missing from the registry: ask the district admin.")
    if problems:
        raise PrescriptionRejected(problems)
    assert doctor is not None and hub is not None
    assert who.name and who.age is not None and who.sex

    version = (
        session.scalar(
            select(func.max(Prescription.version)).where(
                Prescription.consultation_id == consultation.id
            )
        )
        or 0
    ) + 1
    rx = Prescription(
        code=(issued_code := _code(session, code)),
        keypad_code=keypad_code(issued_code),
        consultation_id=consultation.id,
        version=version,
        replaces_id=replaced.id if replaced else None,
        correction_reason=(correction_reason or "").strip() or None,
        doctor_id=doctor.id,
        doctor_name=doctor.name,
        doctor_qualification=(doctor.qualification or "").strip(),
        doctor_registration=(doctor.registration_number or "").strip(),
        hub_name=hub.name,
        patient_name=who.name.strip(),
        patient_age=who.age,
        patient_sex=who.sex,
        diagnosis=draft.diagnosis.strip(),
        advice=(draft.advice or "").strip() or None,
        tests=[t.strip() for t in draft.tests if t.strip()],
        follow_up_on=draft.follow_up_on,
        referral_to=(draft.referral_to or "").strip() or None,
        referral_urgency=draft.referral_urgency if (draft.referral_to or "").strip() else None,
        mode=mode,
        issued_at=now,
        items=[
            PrescriptionItem(
                medicine_code=line.medicine.code,
                name=line.medicine.name,
                strength=line.strength,
                form=line.medicine.form,
                dose=line.dose,
                frequency=line.frequency,
                duration_days=line.duration_days,
                instructions=line.instructions,
                drug_list=line.medicine.drug_list.value,
            )
            for line in lines
        ],
    )
    return _Prepared(consultation, doctor, rx, replaced)


def preview_prescription(
    session: Session,
    *,
    consultation_id: int,
    doctor_id: int,
    draft: PrescriptionDraft,
    replaces_code: str | None = None,
    correction_reason: str | None = None,
    code: str | None = None,
    policy: Policy | None = None,
) -> tuple[str, SmsPlan]:
    """What issuing ``draft`` would send, exactly, without issuing it.

    The same checks as ``issue_prescription`` (raises ``PrescriptionRejected``). Returns
    the prescription code the SMS carry (``code`` if still free) and every SMS; issue with
    that ``code`` and the same draft on the same day, and the same bodies are queued.
    The caller rolls back (the consultation row was locked, nothing was written).
    """
    prepared = _prepare(
        session,
        consultation_id=consultation_id,
        doctor_id=doctor_id,
        draft=draft,
        replaces_code=replaces_code,
        correction_reason=correction_reason,
        policy=policy,
        code=code,
    )
    return prepared.rx.code, plan_prescription_sms(session, prepared.rx, prepared.consultation)


def issue_prescription(
    session: Session,
    *,
    consultation_id: int,
    doctor_id: int,
    draft: PrescriptionDraft,
    replaces_code: str | None = None,
    correction_reason: str | None = None,
    runtime: Runtime | None = None,
    policy: Policy | None = None,
    code: str | None = None,
) -> Prescription:
    """Issue (or correct) the prescription of a consultation.

    Args:
        session: the caller's unit of work; nothing is committed here.
        consultation_id: the consultation prescribed in.
        doctor_id: the issuing doctor (must be the consultation's doctor).
        draft: what the doctor wrote.
        replaces_code: for a correction, the code of the prescription it replaces.
        correction_reason: why (required with ``replaces_code``).
        runtime: where SMS delivery is enqueued after commit; in a Flask request the
            app's runtime is used when omitted.
        policy: the medicine policy; the shipped table when omitted.
        code: the code a preview showed (``preview_prescription``); used if still free.

    Raises:
        PrescriptionRejected: with every problem found, in plain words.
    """
    prepared = _prepare(
        session,
        consultation_id=consultation_id,
        doctor_id=doctor_id,
        draft=draft,
        replaces_code=replaces_code,
        correction_reason=correction_reason,
        policy=policy,
        code=code,
    )
    consultation, doctor, rx, replaced = (
        prepared.consultation,
        prepared.doctor,
        prepared.rx,
        prepared.replaced,
    )
    who = PatientIdentity(rx.patient_name, rx.patient_age, rx.patient_sex)
    if replaced is not None:
        replaced.superseded_at = rx.issued_at
    session.add(rx)
    session.flush()
    _fill_patient_record(consultation.patient, who)
    if replaced is None:
        _move_to_prescribed(consultation)
        _audit(session, doctor, "prescription.issued", rx.id, _summary(rx, consultation))
    else:
        _audit(
            session,
            doctor,
            "prescription.corrected",
            rx.id,
            {
                **_summary(rx, consultation),
                "replaces": replaced.code,
                "reason": rx.correction_reason,
            },
        )
        _audit(session, doctor, "prescription.superseded", replaced.id, {"by": rx.code})
    queue_prescription_sms(session, rx, runtime=runtime)
    log.info(
        "prescription issued",
        extra={"prescription": rx.code, "version": rx.version, "consultation_id": consultation.id},
    )
    return rx


def _move_to_prescribed(consultation: Consultation) -> None:
    """``prescribed`` when issued after the call. Issued during it, the consultation stays
    ``in_conference`` (the doctor is still busy, and the call's end still closes the
    patient's line): the workflow moves it to ``prescribed`` when the conference ends
    (``workflows.bridge.finish``), asking the doctor for nothing more. The SMS queued here,
    at issue, are the only ones either way."""
    if consultation.state is not ConsultationState.IN_CONFERENCE:
        consultation.transition(ConsultationState.PRESCRIBED, "prescription-issued")


def _summary(rx: Prescription, consultation: Consultation) -> dict[str, object]:
    return {
        "code": rx.code,
        "version": rx.version,
        "consultation": consultation.reference,
        "mode": rx.mode,
        "medicines": [
            f"{i.medicine_code} {i.strength} {i.frequency} x{i.duration_days}d" for i in rx.items
        ],
    }
