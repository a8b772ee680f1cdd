"""``make demo``: its scripted patients and what it prints about the phones.

The demo itself runs on a real clock for minutes; here its patients' phone scripts
(``sampark.demo.ScriptedPatient``) are played through the whole stack instead (the
local Twilio on a virtual clock, the app, a real RQ worker), and the demo's narrator
(``sampark.demo_phones.PhoneNarrator``) reads the stand-in's timeline: patient A
presses 1 at the offer and waits in the conference, where the ANM and the doctor join
her; patient B stays silent, her call ends and she is called back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import Consultation, ConsultationState, LegRole, Patient
from sampark import demo
from sampark.demo_phones import PhoneNarrator
from tests.builders import build_mini_district
from tests.workflows.harness import Stack

S = ConsultationState
SPOKE = "+916456238276"
A, B = "+919990099001", "+919990099003"
ANM, DOCTOR = "+919999027165", "+919999079681"


def _ev(seq: int, kind: str, **fields: object) -> dict[str, object]:
    return {"seq": seq, "kind": kind, **fields}


#: A stand-in timeline, abridged: patient A stays; patient B is called back.
TIMELINE = [
    _ev(0, "call", sid="CA1", event="created", to=SPOKE, from_=A, direction="inbound"),
    _ev(1, "call", sid="CA2", event="created", to=ANM, from_=SPOKE, direction="outbound-api"),
    _ev(2, "webhook", purpose="gather-action", subject="CA1", url="http://x/ivr/step?n=stay"),
    _ev(3, "webhook", purpose="redirect", subject="CA1", url="http://x/calls/consultations/1/join"),
    _ev(4, "conference", sid="CF1", event="created", friendly_name="sampark-123456"),
    _ev(5, "participant", sid="CA1", conference_sid="CF1", event="join", label="patient"),
    _ev(6, "call", sid="CA3", event="created", to=DOCTOR, from_=SPOKE, direction="outbound-api"),
    _ev(7, "participant", sid="CA3", conference_sid="CF1", event="join", label="doctor"),
    _ev(8, "conference", sid="CF1", event="start"),
    _ev(9, "participant", sid="CA2", conference_sid="CF1", event="join", label="anm"),
    _ev(10, "participant", sid="CA3", conference_sid="CF1", event="leave", reason="hangup"),
    _ev(11, "conference", sid="CF1", event="end"),
    _ev(12, "call", sid="CA1", event="completed", status="completed"),
    _ev(13, "call", sid="CA4", event="created", to=SPOKE, from_=B, direction="inbound"),
    _ev(14, "call", sid="CA4", event="completed", status="completed"),
    _ev(15, "call", sid="CA5", event="created", to=B, from_=SPOKE, direction="outbound-api"),
    _ev(16, "message", sid="SM1", event="created", to=A, from_=SPOKE),
]

PEOPLE = {A: "patient A", B: "patient B", ANM: "ANM Puja Das", DOCTOR: "Dr Iqbal Ansari"}


def test_the_narrator_tells_who_stays_waits_joins_and_is_called_back() -> None:
    narrator = PhoneNarrator(PEOPLE)
    assert narrator.lines(TIMELINE) == [
        f"calling ANM Puja Das ({ANM})",
        "patient A pressed 1: stays on the line, put through to the consultation",
        "patient A joined conference sampark-123456, waiting (music) for the ANM and the doctor",
        f"calling Dr Iqbal Ansari ({DOCTOR})",
        "Dr Iqbal Ansari joined conference sampark-123456",
        "conference sampark-123456 started: they are talking",
        "ANM Puja Das joined conference sampark-123456",
        "Dr Iqbal Ansari left conference sampark-123456",
        "conference sampark-123456 ended",
        "patient A's own call ended",
        "patient B's own call ended without staying on the line",
        f"calling patient B back ({B})",
        "SMS to patient A",
    ]
    assert narrator.lines(TIMELINE) == []  # each event is told once
    later = _ev(17, "message", sid="SM2", event="created", to="+919990000000", from_=SPOKE)
    assert narrator.lines([*TIMELINE, later]) == ["SMS to +919990000000"]


def test_the_patients_scripts_stay_or_stay_silent_after_the_intake() -> None:
    stays = demo.ScriptedPatient("patient A", A, "HWC Ambidiha", SPOKE, stays=True).script()
    silent = demo.ScriptedPatient("patient B", B, "HWC Ambidiha", SPOKE, stays=False).script()
    assert stays.digits[: len(demo.INTAKE_KEYS)] == silent.digits[: len(demo.INTAKE_KEYS)]
    assert stays.digits[len(demo.INTAKE_KEYS) :] == ["1"]
    assert silent.digits[len(demo.INTAKE_KEYS) :] == [None]


def test_fresh_numbers_skip_every_number_with_a_history(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        build_mini_district(s)
        s.add(Patient(mobile=A, name="an earlier demo", preferred_language="hi"))
    assert demo._fresh_numbers(runtime, 2) == ["+919990099003", "+919990099004"]


# -- the demo's patients through the whole stack --------------------------------------------


def _consultation(stack: Stack, mobile: str) -> int | None:
    with stack.runtime.db.session() as s:
        return s.scalar(select(Consultation.id).where(Consultation.caller_mobile == mobile))


@pytest.mark.slow
def test_one_demo_patient_stays_on_the_line_the_other_is_called_back(stack: Stack) -> None:
    spokes = [
        ("HWC-001", stack.mini.spoke_numbers["HWC-001"]),
        ("HWC-002", stack.mini.spoke_numbers["HWC-002"]),
    ]
    patients = demo._patients(stack.runtime, spokes)
    a, b = patients
    assert (a.stays, b.stays) == (True, False)
    narrator = PhoneNarrator(demo._people(stack.runtime, patients))
    for patient in patients:
        stack.standin.script(patient.number, patient.script())
        stack.standin.dial_in(from_=patient.number, to=patient.spoke_number)

    def both_heard() -> bool:
        ids = [_consultation(stack, p.number) for p in patients]
        return all(i is not None and stack.state(i) is S.AWAITING_PRESCRIPTION for i in ids)

    stack.drive(both_heard)
    stack.settle()
    ids = [_consultation(stack, p.number) for p in patients]
    assert None not in ids
    a_id, b_id = (i for i in ids if i is not None)
    lines = narrator.lines(stack.standin.timeline())
    with stack.runtime.db.session() as s:
        a_ref = s.get_one(Consultation, a_id).reference
        b_ref = s.get_one(Consultation, b_id).reference

    # Patient A: pressed 1, waited in her consultation's conference; the ANM (Sunita Devi,
    # HWC-001) and the doctor joined her there; nobody called her back.
    stays = lines.index("patient A pressed 1: stays on the line, put through to the consultation")
    waits = lines.index(
        f"patient A joined conference sampark-{a_ref}, waiting (music) for the ANM and the doctor"
    )
    anm = lines.index(f"ANM Sunita Devi joined conference sampark-{a_ref}")
    doctor = next(
        i for i, line in enumerate(lines) if line.startswith("Dr. ") and f"sampark-{a_ref}" in line
    )
    assert stays < waits < min(anm, doctor)
    assert "(general medicine) joined conference" in lines[doctor]
    assert not [line for line in lines if line.startswith("calling patient A")]
    assert [leg.role for leg in stack.legs(a_id)].count(LegRole.PATIENT_CALLBACK) == 0

    # Patient B: stayed silent and her call ended; she was called back into her conference
    # (the workflow may place the call-back while she still hears the goodbye).
    assert "patient B's own call ended without staying on the line" in lines
    called_back = lines.index(f"calling patient B back ({b.number})")
    joined = lines.index(f"patient B joined conference sampark-{b_ref}")
    assert called_back < joined
    assert not [line for line in lines if line.startswith("patient B pressed 1")]
    assert LegRole.PATIENT_CALLBACK in [leg.role for leg in stack.legs(b_id)]
    assert stack.standin.errors() == []
