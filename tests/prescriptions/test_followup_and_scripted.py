"""Follow-up reminders, the linked follow-up consultation, the scripted doctor, SMS queueing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from core import clock as wclock
from core.runtime import Runtime
from core.timeutil import IST, to_ist, utcnow
from models import (
    Consultation,
    ConsultationState,
    NumberKind,
    Patient,
    Prescription,
    ServiceNumber,
    SmsMessage,
)
from outbound.sms import SMS_QUEUE
from prescriptions.draft import DraftItem
from prescriptions.followup import (
    FollowUpRefused,
    queue_followup_reminders,
    send_followup_reminders,
    start_follow_up,
)
from prescriptions.formulary import DrugList, get_medicine
from prescriptions.scripted import issue_scripted_prescription
from prescriptions.service import PrescriptionRejected, issue_prescription
from prescriptions.voice import next_window_opening
from sms_templates.config import load_config
from tests.prescriptions.helpers import (
    PATIENT_MOBILE,
    add_consultation,
    build_setting,
    fever_draft,
)

COMPLAINTS = [
    "fever",
    "cough_breathing",
    "pregnancy",
    "child_illness",
    "diarrhoea_vomiting",
    "skin",
    "pain",
    "bp_diabetes_followup",
    "other",
    None,
]


def _issue_with_follow_up(runtime: Runtime, days: int = 7) -> tuple[int, str, object]:
    follow_up_on = to_ist(utcnow()).date() + timedelta(days=days)
    with runtime.db.session() as s:
        setting = build_setting(s)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(follow_up_on=follow_up_on),
        )
        return setting.consultation_id, rx.code, follow_up_on


def test_the_follow_up_date_brings_one_reminder_with_a_call_back_offer(runtime: Runtime) -> None:
    consultation_id, code, follow_up_on = _issue_with_follow_up(runtime)
    with runtime.db.session() as s:
        assert queue_followup_reminders(s, follow_up_on - timedelta(days=1)) == 0  # type: ignore[operator]
    assert send_followup_reminders(follow_up_on, runtime=runtime) == 1  # type: ignore[arg-type]
    assert send_followup_reminders(follow_up_on, runtime=runtime) == 0  # type: ignore[arg-type]
    with runtime.db.session() as s:
        reminders = list(
            s.scalars(select(SmsMessage).where(SmsMessage.purpose == "followup_reminder"))
        )
        assert len(reminders) == 1
        reminder = reminders[0]
        assert reminder.to_number == PATIENT_MOBILE
        assert reminder.consultation_id == consultation_id
        assert code in reminder.body
        assert "06456 220099" in reminder.body or "6456220099" in reminder.body.replace(" ", "")
    assert runtime.queue(SMS_QUEUE).count == 1


def test_a_follow_up_links_to_the_first_and_may_use_follow_up_lists(runtime: Runtime) -> None:
    consultation_id, _, _ = _issue_with_follow_up(runtime)
    with runtime.db.session() as s:
        follow = start_follow_up(s, consultation_id)
        again = start_follow_up(s, consultation_id)
        assert again.id == follow.id  # one open follow-up at a time
        assert follow.follow_up_of_id == consultation_id
        assert follow.state is ConsultationState.INTAKE
        first = s.get(Consultation, consultation_id)
        assert first is not None
        assert (follow.patient_id, follow.spoke_id) == (first.patient_id, first.spoke_id)
        assert follow.details["preferred_doctor_id"] == first.doctor_id
        follow.state = ConsultationState.AWAITING_PRESCRIPTION  # the call happened
        follow.doctor_id = first.doctor_id
        follow_id, doctor_id = follow.id, first.doctor_id or 0
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=follow_id,
            doctor_id=doctor_id,
            draft=fever_draft(items=[DraftItem("amoxicillin", "500 mg", "1 cap", "1-1-1", 5)]),
        )
        assert rx.mode == "audio_anm_followup" and rx.items[0].drug_list == "A"


def test_a_follow_up_needs_a_prescribed_consultation(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s)
    with pytest.raises(FollowUpRefused), runtime.db.session() as s:
        start_follow_up(s, setting.consultation_id)


@pytest.mark.parametrize("complaint", COMPLAINTS)
def test_the_scripted_doctor_prescribes_list_o_for_each_complaint(
    runtime: Runtime, complaint: str | None
) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s, name=None, age=None, sex=None)
        consultation = s.get(Consultation, setting.consultation_id)
        assert consultation is not None
        consultation.complaint = complaint
    with runtime.db.session() as s:
        rx = issue_scripted_prescription(s, setting.consultation_id)
        assert rx.diagnosis.endswith("(provisional)")
        assert rx.items or rx.advice
        assert all(get_medicine(i.medicine_code).drug_list is DrugList.O for i in rx.items)
        assert rx.patient_name and rx.patient_age is not None and rx.patient_sex
        if complaint == "child_illness":
            assert rx.items[0].medicine_code == "paracetamol_syrup"


def test_the_scripted_doctor_needs_a_consultation_ready_for_it(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s)
        consultation = s.get(Consultation, setting.consultation_id)
        assert consultation is not None
        consultation.doctor_id = None
    with pytest.raises(PrescriptionRejected), runtime.db.session() as s:
        issue_scripted_prescription(s, setting.consultation_id)


def test_sms_are_queued_with_the_prescription_and_sent_only_after_commit(
    runtime: Runtime,
) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s, language="ur")
    queue = runtime.queue(SMS_QUEUE)
    with pytest.raises(RuntimeError), runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
            runtime=runtime,
        )
        raise RuntimeError("the request failed after issuing")
    assert queue.count == 0
    with runtime.db.session() as s:
        assert s.scalar(select(Prescription.id)) is None
        assert s.scalar(select(SmsMessage.id)) is None
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
            runtime=runtime,
        )
        rx_id = rx.id
        assert queue.count == 0  # not before the commit
    with runtime.db.session() as s:
        assert queue.count == len(s.scalars(select(SmsMessage)).all()) >= 2
        sms = {m.purpose: m for m in s.scalars(select(SmsMessage))}
        patient = s.get(Patient, setting.patient_id)
        assert patient is not None
        assert sms["prescription_patient"].to_number == PATIENT_MOBILE
        assert sms["prescription_patient"].language == "ur"
        assert sms["prescription_anm"].to_number == setting.mini.anms["ANM-001"]
        assert {m.prescription_id for m in sms.values()} == {rx_id}


def test_a_patient_who_chose_roman_script_gets_it(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s, sms_script="roman")
    with runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
        )
    with runtime.db.session() as s:
        sms = s.scalars(
            select(SmsMessage).where(SmsMessage.purpose == "prescription_patient")
        ).one()
        assert sms.script == "roman" and sms.encoding == "GSM-7"


def test_read_aloud_calls_wait_for_the_call_window() -> None:
    inside = datetime(2026, 11, 25, 12, 0, tzinfo=IST).astimezone(UTC)
    assert next_window_opening(inside) is None
    night = datetime(2026, 11, 25, 22, 30, tzinfo=IST).astimezone(UTC)
    opening = next_window_opening(night)
    assert opening is not None and to_ist(opening) == datetime(2026, 11, 26, 8, 0, tzinfo=IST)
    early = datetime(2026, 11, 25, 5, 0, tzinfo=IST).astimezone(UTC)
    opening = next_window_opening(early)
    assert opening is not None and to_ist(opening) == datetime(2026, 11, 25, 8, 0, tzinfo=IST)


def test_a_second_patient_on_the_same_mobile_is_a_separate_prescription(
    runtime: Runtime,
) -> None:
    with runtime.db.session() as s:
        setting = build_setting(s)
        child = Patient(
            mobile=PATIENT_MOBILE,
            name="Arif",
            age_years=4,
            sex="male",
            caregiver_id=setting.patient_id,
            relation="child",
        )
        s.add(child)
        s.flush()
        other = add_consultation(s, setting.mini, patient=child)
        other_id = other.id
    with runtime.db.session() as s:
        rx = issue_scripted_prescription(s, other_id)
        assert (rx.patient_name, rx.patient_age) == ("Arif", 4)
        assert rx.items[0].medicine_code == "paracetamol_syrup"


def test_a_patient_on_a_landline_gets_the_read_aloud_call_instead_of_sms(
    runtime: Runtime,
) -> None:

    from prescriptions.calls import READOUT_QUEUE

    with runtime.db.session() as s:
        setting = build_setting(s)
        patient = s.get(Patient, setting.patient_id)
        consultation = s.get(Consultation, setting.consultation_id)
        assert patient is not None and consultation is not None
        patient.mobile = consultation.caller_mobile = "+916456221234"
    midday = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    with wclock.use_clock(wclock.ManualClock(midday)), runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
            runtime=runtime,
        )
    with runtime.db.session() as s:
        assert [m.purpose for m in s.scalars(select(SmsMessage))] == ["prescription_anm"]
    assert runtime.queue(READOUT_QUEUE).count == 1


def test_the_every_minute_sweeper_sends_the_follow_up_reminder_on_its_day(
    runtime: Runtime,
) -> None:
    from ops.sweeper import sweep

    _, code, follow_up_on = _issue_with_follow_up(runtime, days=3)
    on_the_day = datetime.combine(follow_up_on, datetime.min.time(), tzinfo=IST) + timedelta(
        hours=10
    )  # type: ignore[call-overload]
    the_day_before = on_the_day - timedelta(days=1)
    with wclock.use_clock(wclock.ManualClock(the_day_before)):
        sweep(runtime)
    with wclock.use_clock(wclock.ManualClock(on_the_day)):
        sweep(runtime)
        sweep(runtime)  # once per prescription, however often the sweeper runs
    with runtime.db.session() as s:
        [reminder] = s.scalars(
            select(SmsMessage).where(SmsMessage.purpose == "followup_reminder")
        ).all()
        assert code in reminder.body


@pytest.mark.parametrize("line", ["spoke", "district"])
def test_without_a_missed_call_line_the_reminder_asks_for_a_call_not_a_missed_call(
    runtime: Runtime, line: str
) -> None:
    """No missed-call line: "call X". Only the toll-free district line is called free; a
    spoke's own number is the HWC's ordinary landline, which costs the patient."""
    _, _, follow_up_on = _issue_with_follow_up(runtime)
    gone = [NumberKind.MISSED_CALL] + ([NumberKind.SPOKE] if line == "district" else [])
    with runtime.db.session() as s:
        s.execute(delete(ServiceNumber).where(ServiceNumber.kind.in_(gone)))
    assert send_followup_reminders(follow_up_on, runtime=runtime) == 1  # type: ignore[arg-type]
    with runtime.db.session() as s:
        [reminder] = s.scalars(
            select(SmsMessage).where(SmsMessage.purpose == "followup_reminder")
        ).all()
        calls = load_config().dlt_templates["followup_reminder"]
        variant = f"{reminder.language}.{reminder.script}"
        branch = "call" if line == "district" else "call_spoke"
        assert reminder.dlt_template_id == calls[f"{variant}.{branch}"]
        assert "missed" not in reminder.body.lower() and "मिस्ड" not in reminder.body
        words = ("free", "muft", "मुफ्त", "مفت", "বিনামূল্যে", "binamulye")
        free = any(word in reminder.body.lower() for word in words)
        assert free is (line == "district")
