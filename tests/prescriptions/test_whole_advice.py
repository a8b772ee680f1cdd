"""The doctor's advice and instructions reach the patient whole (issue 14 item 2).

Every SMS queued for a prescription is read back from the database: joined, they carry
every word of the advice in order; every line matches its DLT registration with each
``{#var#}`` at most 40 characters; every message keeps to its part budget; and the
read-aloud says the whole advice and the ORS instructions. Medicines beyond what the
first SMS holds follow in the continuation, each line whole and numbered as prescribed,
and a long diagnosis or referral place is broken between words, never clipped.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import Prescription, SmsMessage
from prescriptions.draft import MAX_ITEMS, DraftItem
from prescriptions.formulary import formulary
from prescriptions.service import issue_prescription
from prescriptions.speech import prescription_sentences
from sms_templates import count_segments, dlt_registration_text, render_prescription
from sms_templates.compact import medicine_line
from sms_templates.config import load_config
from tests.prescriptions.helpers import PATIENT_MOBILE, build_setting, fever_draft

#: The issue's own example: today the patient reads "Return.." and never the safety part.
ISSUE_ADVICE = "Drink plenty of fluids, rest. Return if fever persists beyond 3 days."
ORS = "1 sachet in 1 litre of clean water; sip after each loose stool"
LONG_ADVICE = {
    "hi": "खूब पानी और तरल पदार्थ पिएँ, आराम करें। बुखार 3 दिन से ज़्यादा रहे, साँस फूले या "
    "बच्चा दूध न पिए तो तुरंत अस्पताल आएँ। ओआरएस का घोल हर दस्त के बाद 200 मिली दें।",
    "ur": "خوب پانی اور مشروبات پئیں، آرام کریں۔ بخار 3 دن سے زیادہ رہے، سانس پھولے یا بچہ "
    "دودھ نہ پیے تو فوراً اسپتال آئیں۔ او آر ایس کا گھول ہر دست کے بعد 200 ملی دیں۔",
    "bn": "প্রচুর জল ও তরল খান, বিশ্রাম নিন। জ্বর 3 দিনের বেশি থাকলে, শ্বাসকষ্ট হলে বা শিশু দুধ না "
    "খেলে সঙ্গে সঙ্গে হাসপাতালে আসুন। প্রতিবার পাতলা পায়খানার পরে 200 মিলি ওআরএস দিন।",
    "roman": "Khoob paani aur taral padarth piyen, aaram karein. Bukhar 3 din se zyada rahe, "
    "saans phoole ya bachcha doodh na piye to turant aspatal aayen. ORS ka ghol har dast ke "
    "baad 200 ml dein.",
}


def issue(runtime: Runtime, advice: str, language: str = "hi", script: str | None = None) -> int:
    with runtime.db.session() as s:
        setting = build_setting(s, language=language, sms_script=script)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(advice=advice),
        )
        return rx.id


def patient_sms(runtime: Runtime, rx_id: int) -> list[SmsMessage]:
    with runtime.db.session() as s:
        rows = list(
            s.scalars(
                select(SmsMessage)
                .where(SmsMessage.prescription_id == rx_id, SmsMessage.to_number == PATIENT_MOBILE)
                .order_by(SmsMessage.id)
            )
        )
        s.expunge_all()
    return rows


def assert_words_in_order(text: str, words: str) -> None:
    """Every word of ``words`` is in ``text``, in order (line breaks between them allowed)."""
    position = 0
    for word in words.split():
        found = text.find(word, position)
        assert found >= 0, f"{word!r} missing after {text[position : position + 60]!r}"
        position = found + len(word)


@cache
def _registered(template: str) -> tuple[re.Pattern[str], ...]:
    """The registered lines of ``<purpose>/<lang>.<script>.j2``, each ``{#var#}`` as at most
    ``variable_max_chars`` characters."""
    purpose, variant = template.removesuffix(".j2").split("/")
    language, script = variant.split(".")
    width = load_config().variable_max_chars
    return tuple(
        re.compile(f".{{0,{width}}}".join(re.escape(fixed) for fixed in line.split("{#var#}")))
        for line in dlt_registration_text(purpose, language, script).split("\n")
    )


def assert_matches_dlt(sms: SmsMessage) -> None:
    """Each line of the body is a registered line, in order, every variable within its limit."""
    registered = _registered(sms.template)
    lines = sms.body.split("\n")

    @cache
    def fits(i: int, j: int) -> bool:
        if i == len(lines):
            return True
        return any(
            registered[k].fullmatch(lines[i]) and fits(i + 1, k + 1)
            for k in range(j, len(registered))
        )

    assert fits(0, 0), f"{sms.template} does not match its DLT registration:\n{sms.body}"


def assert_whole_and_legal(messages: list[SmsMessage], advice: str) -> None:
    assert messages
    joined = "\n".join(m.body for m in messages)
    assert_words_in_order(joined, advice)
    assert_words_in_order(joined, ORS)  # the ORS instructions, too
    cfg = load_config()
    for m in messages:
        assert_matches_dlt(m)
        assert count_segments(m.body).segments == m.segments
        assert m.segments <= cfg.segments_for(m.purpose, m.encoding)
        assert not m.body.rstrip().endswith(".."), m.body


def test_the_issues_advice_reaches_the_patient_whole(runtime: Runtime) -> None:
    rx_id = issue(runtime, ISSUE_ADVICE)
    messages = patient_sms(runtime, rx_id)
    assert_whole_and_legal(messages, ISSUE_ADVICE)
    assert "Return.." not in "".join(m.body for m in messages)
    assert "1.Paracetamol 500mg 1-0-1 x5d" in messages[0].body  # the dose as written


@pytest.mark.parametrize(
    ("language", "script", "encoding"),
    [
        ("hi", "native", "UCS-2"),
        ("ur", "native", "UCS-2"),
        ("bn", "native", "UCS-2"),
        ("hi", "roman", "GSM-7"),
        ("ur", "roman", "GSM-7"),
        ("bn", "roman", "GSM-7"),
        ("en", "native", "GSM-7"),
    ],
)
def test_a_long_advice_in_every_language_and_script_arrives_whole(
    runtime: Runtime, language: str, script: str, encoding: str
) -> None:
    advice = LONG_ADVICE["roman" if script == "roman" or language == "en" else language]
    rx_id = issue(runtime, advice, language, script)
    messages = patient_sms(runtime, rx_id)
    assert len(messages) >= 2  # too long for one message: a continuation follows
    assert {(m.language, m.script, m.encoding) for m in messages} == {(language, script, encoding)}
    assert_whole_and_legal(messages, advice)
    assert [m.purpose for m in messages][1:] == ["prescription_more"] * (len(messages) - 1)
    total = len(messages)
    for number, m in enumerate(messages[1:], start=2):
        assert f"({number}/{total})" in m.body.split("\n")[0]


def test_the_read_aloud_says_the_whole_advice_and_the_ors_instructions(
    runtime: Runtime,
) -> None:
    advice = ISSUE_ADVICE + " " + LONG_ADVICE["roman"]
    rx_id = issue(runtime, advice)
    with runtime.db.session() as s:
        rx = s.get_one(Prescription, rx_id)
        for language in ("hi", "ur", "bn", "en"):
            spoken = " ".join(prescription_sentences(rx, language))
            assert_words_in_order(spoken, advice.removesuffix("."))
            if language == "en":
                assert_words_in_order(spoken, ORS)


#: Nine medicines of the formulary's list O, each with its own dose (issue 14: none is left
#: to "+N more, ask ANM"). A prescription holds at most ``MAX_ITEMS`` (8) of them: one issued
#: takes the first 8; the SMS layer is tried with all 9.
NINE = [
    DraftItem("paracetamol_tab", "500 mg", "1 1/2 tab", "1-0-1", 5),
    DraftItem("paracetamol_syrup", "125 mg/5 ml", "2 1/2 ml", "1-1-1", 3),
    DraftItem("ors", frequency="SOS", duration_days=3),
    DraftItem("zinc", "20 mg", "1 tab", "1-0-0", 14),
    DraftItem("ifa", "60 mg + 0.5 mg", "1 tab", "0-0-1", 30),
    DraftItem("folic_acid", "5 mg", "1 tab", "1-0-0", 30),
    DraftItem("calcium", "500 mg", "1 tab", "1-0-1", 30),
    DraftItem("cetirizine", "10 mg", "1 tab", "0-0-1", 5),
    DraftItem("b_complex", "standard", "2 tab", "1-0-0", 15),
]
#: 90 characters each: clipped at 40 with ".." before.
LONG_DIAGNOSIS = (
    "Acute febrile illness with dehydration, suspected malaria; rule out typhoid, dengue fever."
)
LONG_REFERRAL = (
    "Community Health Centre Barhi, medicine outpatients, Block B ward 4, near the new bus stop"
)


def issue_draft(runtime: Runtime, language: str, script: str | None, **changes: object) -> int:
    with runtime.db.session() as s:
        setting = build_setting(s, language=language, sms_script=script)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(**changes),
        )
        return rx.id


def prescription_sms(runtime: Runtime, rx_id: int) -> dict[str, list[SmsMessage]]:
    """The SMS queued for a prescription, by recipient: ``patient`` and ``anm``."""
    with runtime.db.session() as s:
        rows = list(
            s.scalars(
                select(SmsMessage)
                .where(SmsMessage.prescription_id == rx_id)
                .order_by(SmsMessage.id)
            )
        )
        s.expunge_all()
    patient = [m for m in rows if m.to_number == PATIENT_MOBILE]
    anm = [m for m in rows if m.to_number != PATIENT_MOBILE]
    return {"patient": patient, "anm": anm}


def assert_legal(messages: list[SmsMessage]) -> None:
    cfg = load_config()
    for m in messages:
        assert_matches_dlt(m)
        assert m.segments <= cfg.segments_for(m.purpose, m.encoding)
        assert ".." not in m.body, m.body
        assert "ask ANM" not in m.body and "more:" not in m.body, m.body


@pytest.mark.parametrize(("language", "script"), [("en", None), ("hi", "native"), ("hi", "roman")])
def test_the_most_medicines_reach_patient_and_anm_whole_and_in_order(
    runtime: Runtime, language: str, script: str | None
) -> None:
    rx_id = issue_draft(runtime, language, script, items=NINE[:MAX_ITEMS])
    with runtime.db.session() as s:
        items = list(s.get_one(Prescription, rx_id).items)
        assert len(items) == MAX_ITEMS > load_config().max_list_lines
        for recipient, messages in prescription_sms(runtime, rx_id).items():
            assert messages, recipient
            assert_legal(messages)
            joined = "\n".join(m.body for m in messages)
            position = 0
            for n, item in enumerate(items, start=1):
                line = f"{n}.{medicine_line(item, for_anm=recipient == 'anm')}"
                found = joined.find(line, position)
                assert found >= 0, f"{recipient}: {line!r} missing or out of order:\n{joined}"
                position = found + len(line)
                assert item.name.split()[0] in line
            assert "1 1/2tab" in joined and "2 1/2ml" in joined  # doses as written


@pytest.mark.parametrize(("language", "script"), [("en", None), ("hi", "native"), ("bn", "roman")])
def test_a_long_diagnosis_and_referral_place_reach_the_patient_whole(
    runtime: Runtime, language: str, script: str | None
) -> None:
    assert len(LONG_DIAGNOSIS) == len(LONG_REFERRAL) == 90
    rx_id = issue_draft(
        runtime,
        language,
        script,
        diagnosis=LONG_DIAGNOSIS,
        referral_to=LONG_REFERRAL,
        referral_urgency="urgent",
    )
    for recipient, messages in prescription_sms(runtime, rx_id).items():
        assert_legal(messages)
        joined = "\n".join(m.body for m in messages)
        if recipient == "patient":
            assert_words_in_order(joined, LONG_DIAGNOSIS)
        assert_words_in_order(joined, LONG_REFERRAL)


def _medicine(item: DraftItem) -> dict[str, object]:
    medicine = formulary()[item.medicine_code]
    return {
        "name": medicine.name,
        "strength": item.strength or medicine.strengths[0],
        "form": medicine.form,
        "dose": item.dose or medicine.dose,
        "frequency": item.frequency or medicine.frequency,
        "duration_days": item.duration_days or medicine.days,
    }


@pytest.mark.parametrize("purpose", ["prescription_patient", "prescription_anm"])
@pytest.mark.parametrize(
    ("language", "script"), [("en", "native"), ("hi", "native"), ("ur", "roman")]
)
def test_nine_medicines_are_planned_whole_and_in_order(
    purpose: str, language: str, script: str
) -> None:
    medicines = [_medicine(item) for item in NINE]
    context = {
        "code": "RX7K2P",
        "issued_on": date(2026, 11, 25),
        "patient_name": "Rukhsana Begum",
        "patient_age": 34,
        "patient_sex": "female",
        "reference": "C-1042",
        "doctor_name": "Dr Meera Sinha",
        "doctor_registration": "BMC-48213",
        "diagnosis": LONG_DIAGNOSIS,
        "referral_to": LONG_REFERRAL,
        "referral_urgency": "urgent",
        "medicines": medicines,
        "advice": ISSUE_ADVICE,
        "callback_number": "06456220001",
    }
    planned = render_prescription(purpose, language, script, **context)
    cfg = load_config()
    joined = "\n".join(p.sms.body for p in planned)
    position = 0
    for n, medicine in enumerate(medicines, start=1):
        line = f"{n}.{medicine_line(medicine, for_anm=purpose == 'prescription_anm')}"
        found = joined.find(line, position)
        assert found >= 0, f"{line!r} missing or out of order:\n{joined}"
        position = found + len(line)
    assert "1 1/2tab" in joined and "2 1/2ml" in joined
    if purpose == "prescription_patient":
        assert_words_in_order(joined, LONG_DIAGNOSIS)
    assert_words_in_order(joined, LONG_REFERRAL)
    for p in planned:
        assert p.sms.segments <= cfg.segments_for(p.purpose, p.sms.encoding)
        assert ".." not in p.sms.body and "ask ANM" not in p.sms.body, p.sms.body
        for body_line in p.sms.body.split("\n"):
            assert any(r.fullmatch(body_line) for r in _registered(p.sms.template)), body_line


@pytest.mark.parametrize("purpose", ["prescription_patient", "prescription_anm"])
@pytest.mark.parametrize(
    ("language", "script"), [("en", "native"), ("hi", "native"), ("bn", "roman")]
)
def test_the_longest_diagnosis_and_referral_continue_in_the_next_sms(
    purpose: str, language: str, script: str
) -> None:
    diagnosis = (LONG_DIAGNOSIS + " ") * 5 + LONG_DIAGNOSIS[:50]  # 500: the most a draft takes
    referral = LONG_REFERRAL + " " + LONG_REFERRAL
    context = {
        "code": "RX7K2P",
        "issued_on": date(2026, 11, 25),
        "patient_name": "Rukhsana Begum",
        "patient_age": 34,
        "patient_sex": "female",
        "reference": "C-1042",
        "doctor_name": "Dr Meera Sinha",
        "doctor_registration": "BMC-48213",
        "diagnosis": diagnosis,
        "referral_to": referral,
        "medicines": [_medicine(item) for item in NINE[:MAX_ITEMS]],
        "advice": ISSUE_ADVICE,
        "callback_number": "06456220001",
    }
    planned = render_prescription(purpose, language, script, **context)
    joined = "\n".join(p.sms.body for p in planned)
    if purpose == "prescription_patient":
        assert_words_in_order(joined, diagnosis)
    assert_words_in_order(joined, referral)
    assert_words_in_order(joined, ISSUE_ADVICE)
    cfg = load_config()
    for p in planned:
        assert p.sms.segments <= cfg.segments_for(p.purpose, p.sms.encoding), p.sms.body
        registered = _registered(p.sms.template)
        for body_line in p.sms.body.split("\n"):
            assert any(r.fullmatch(body_line) for r in registered), body_line
