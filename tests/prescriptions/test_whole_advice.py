"""The doctor's advice and instructions reach the patient whole (issue 14 item 2).

Every SMS queued for a prescription is read back from the database: joined, they carry
every word of the advice in order; every line matches its DLT registration with each
``{#var#}`` at most 40 characters; every message keeps to its part budget; and the
read-aloud says the whole advice and the ORS instructions.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import Prescription, SmsMessage
from prescriptions.service import issue_prescription
from prescriptions.speech import prescription_sentences
from sms_templates import count_segments, dlt_registration_text
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
