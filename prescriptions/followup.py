"""Follow-up: the reminder on the follow-up date, and the linked follow-up consultation.

``send_followup_reminders`` is a daily job (run it once a morning, e.g. 09:00 IST): every
current prescription whose ``follow_up_on`` is today (IST) gets one ``followup_reminder``
SMS with a call-back offer (a missed call to the district's missed-call line, or a call to
the spoke, brings a call back). ``start_follow_up`` opens the follow-up consultation,
linked through ``follow_up_of_id``, so the follow-up medicine lists apply to it.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock as wclock
from core.runtime import Runtime, process_runtime
from core.timeutil import to_ist
from models import (
    TERMINAL_STATES,
    Consultation,
    ConsultationState,
    NumberKind,
    Prescription,
    ServiceNumber,
    SmsMessage,
)
from outbound.caller_id import dial_in_line
from outbound.sms import NotAMobileNumber, queue_sms
from prescriptions.notify import deliver_after_commit
from prescriptions.recipients import patient_language
from prescriptions.voice import next_window_opening

log = logging.getLogger(__name__)

REMINDER_PURPOSE = "followup_reminder"


class FollowUpRefused(ValueError):
    """A follow-up cannot be opened for this consultation (the message says why)."""


def due_followups(session: Session, today: date) -> list[Prescription]:
    """Current prescriptions whose follow-up date is ``today``."""
    return list(
        session.scalars(
            select(Prescription)
            .where(Prescription.follow_up_on == today, Prescription.superseded_at.is_(None))
            .order_by(Prescription.id)
        )
    )


def _callback_offer(session: Session, consultation: Consultation) -> tuple[str, str]:
    """The missed-call line (free for the patient), else the dial-in line; with its kind
    (the reminder says "give a missed call" only to a missed-call line)."""
    missed = session.scalar(
        select(ServiceNumber.number)
        .where(ServiceNumber.kind == NumberKind.MISSED_CALL)
        .order_by(ServiceNumber.id)
    )
    if missed:
        return missed, NumberKind.MISSED_CALL.value
    line = dial_in_line(session, consultation)
    return (line[0], line[1].value) if line else ("", "")


def queue_followup_reminders(
    session: Session, today: date, *, runtime: Runtime | None = None
) -> int:
    """Queue today's reminders not yet queued (one per prescription); returns how many."""
    ids: list[int] = []
    for rx in due_followups(session, today):
        key = f"rx:{rx.code}:followup"
        if session.scalar(select(SmsMessage.id).where(SmsMessage.idempotency_key == key)):
            continue  # already reminded
        consultation = rx.consultation
        patient = consultation.patient
        to = (patient.mobile if patient else None) or consultation.caller_mobile
        number, kind = _callback_offer(session, consultation)
        try:
            sms = queue_sms(
                session,
                to=to,
                purpose=REMINDER_PURPOSE,
                language=patient_language(consultation),
                context={
                    "follow_up_on": rx.follow_up_on,
                    "callback_number": number,
                    "callback_kind": kind,
                    "patient_name": rx.patient_name,
                    "code": rx.code,
                },
                consultation_id=consultation.id,
                prescription_id=rx.id,
                idempotency_key=key,
            )
        except NotAMobileNumber:
            log.warning("follow-up reminder not sent: not a mobile", extra={"code": rx.code})
            continue
        ids.append(sms.id)
    deliver_after_commit(session, ids, runtime)
    return len(ids)


def send_followup_reminders(today: date | None = None, runtime: Runtime | None = None) -> int:
    """The daily job: queue and send every reminder due today (IST)."""
    runtime = runtime or process_runtime()
    today = today or to_ist(wclock.now()).date()
    with runtime.db.session() as session:
        count = queue_followup_reminders(session, today, runtime=runtime)
    log.info("follow-up reminders queued", extra={"count": count, "date": today.isoformat()})
    return count


def _new_reference(session: Session) -> str:
    """A six-digit consultation reference not yet used (the IVR's format)."""
    for _ in range(20):
        ref = str(secrets.randbelow(900000) + 100000)
        if session.scalar(select(Consultation.id).where(Consultation.reference == ref)) is None:
            return ref
    raise RuntimeError("could not find a free consultation reference")


def start_follow_up(session: Session, previous_consultation_id: int) -> Consultation:
    """Open the follow-up of a prescribed consultation (or return the one already open).

    The new consultation starts in ``intake`` (consent is asked again), with the patient,
    spoke, language, complaint and specialty of the first, and ``follow_up_of_id`` set, so
    the follow-up medicine lists apply. ``details["preferred_doctor_id"]`` names the
    doctor who saw the patient, for the router to try first.

    Raises:
        FollowUpRefused: the previous consultation does not exist or was never prescribed.
    """
    previous = session.get(Consultation, previous_consultation_id)
    if previous is None:
        raise FollowUpRefused(f"consultation {previous_consultation_id} does not exist")
    has_rx = session.scalar(
        select(Prescription.id).where(Prescription.consultation_id == previous.id).limit(1)
    )
    if has_rx is None:
        raise FollowUpRefused(f"consultation {previous.reference} has no prescription to follow up")
    open_one = session.scalar(
        select(Consultation)
        .where(
            Consultation.follow_up_of_id == previous.id,
            Consultation.state.not_in(list(TERMINAL_STATES)),
        )
        .order_by(Consultation.id.desc())
    )
    if open_one is not None:
        return open_one
    follow = Consultation(
        reference=_new_reference(session),
        state=ConsultationState.INTAKE,
        spoke_id=previous.spoke_id,
        patient_id=previous.patient_id,
        caller_mobile=previous.caller_mobile,
        channel=previous.channel,
        language=previous.language,
        complaint=previous.complaint,
        specialty=previous.specialty,
        follow_up_of_id=previous.id,
        details={
            "follow_up_of": previous.reference,
            "preferred_doctor_id": previous.doctor_id,
            "media": (previous.details or {}).get("media", "audio"),
        },
    )
    session.add(follow)
    session.flush()
    log.info(
        "follow-up consultation opened",
        extra={"consultation_id": follow.id, "follow_up_of": previous.id},
    )
    return follow


def send_due_followup_reminders(runtime: Runtime | None = None) -> int:
    """For a periodic sweeper: send today's reminders, but only inside the call window.

    Idempotent (one reminder per prescription), so it may run every few minutes.
    """
    if next_window_opening(wclock.now()) is not None:
        return 0
    return send_followup_reminders(runtime=runtime)
